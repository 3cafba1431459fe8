/**
 * What the pack has been reviewed for: the default API version's classes, the resource types its rules name, the packages it reads.
 */
import { resourcePolicy, stackPolicy, stringListKnob } from "../../lib/policy";
import { apiVersionOf, defaultTypeToken, typeIn, typeOfUrn } from "../../lib/typeToken";
import { REVIEWED_TYPES } from "../../lib/reviewedTypes";
import { who } from "../../lib/values";

// ---------------------------------------------------------------------------------------------------------------
// What the pack reviews
// ---------------------------------------------------------------------------------------------------------------

export const defaultApiVersion = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-require-default-api-version",
    description:
      "Resources use the default azure-native classes, not a class generated for another API version (`azure-native:storage/v20230501:StorageAccount`): the pack checks a versioned resource against the default API version's property names, so a property that version names differently reads as absent.",
    severity: "low",
    pci: ["2.2.1"],
    soc2: ["CC8.1"],
    service: "general",
    remediationSteps:
      "Use the default class of `@pulumi/azure-native` (e.g. `storage.StorageAccount`); if a newer or older API version is needed, compare its request body with the default version's for every property the pack's rules read on that type, and review the rules' results by hand.",
    url: "https://www.pulumi.com/registry/packages/azure-native/version-guide/#accessing-any-api-version-via-local-packages",
    enforcementLevel: "advisory",
  },
  [], // every azure-native type
  (_props, args, report) => {
    // The rule sees the default token in args.type (lib/policy.ts); the URN keeps the declared one.
    const declared = typeOfUrn(args.urn);
    const version = apiVersionOf(declared);
    if (version !== undefined) {
      report(
        `${args.name} (${declared}) is declared with API version ${version}: the pack checked it against the default API version's property names (${defaultTypeToken(declared)}); a property that version names differently reads as absent. Use the default class, or review this resource's rules by hand.`,
      );
    }
  },
);

export const unreviewedTypes = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-disallow-unreviewed-type",
    description:
      "Every azure-native resource is of a type the pack has been reviewed for (its `REVIEWED_TYPES`, and a stack's `additionalReviewedTypes`): the posture rules are written per type, so a type none of them names (a first Service Bus namespace, Redis cache or PostgreSQL server) would pass a pull request with a public endpoint, keys, old TLS, no diagnostics and no protection, unchecked.",
    severity: "high",
    pci: ["1.2.1", "2.2.1"],
    gdpr: ["25(1)", "32(1)(b)"],
    soc2: ["CC8.1"],
    service: "general",
    remediationSteps:
      "Before adding a new service's resource type, write the rules its posture needs (private endpoint and public network access, Entra-only authentication, customer-managed key, TLS, diagnostics, protection and lock lists, and `TAGGABLE_TYPES` if it takes tags: docs/policy-rules.md) and add the type to `REVIEWED_TYPES` in policies/lib/reviewedTypes.ts in the same reviewed change.",
    url: "https://www.pulumi.com/docs/insights/policy/",
    config: {
      additionalReviewedTypes: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "azure-native type tokens reviewed for this stack beyond the pack's own list (REVIEWED_TYPES, which a newer pack version extends): a stack setting it keeps the pack's list.",
      },
    },
  },
  [], // every azure-native type
  (_props, args, report) => {
    const { additionalReviewedTypes } = args.getConfig<{ additionalReviewedTypes: string[] }>();
    if (!typeIn(REVIEWED_TYPES, args.type) && !typeIn(additionalReviewedTypes, args.type))
      report(
        `${who(args)} is of type ${args.type}, which the pack has not been reviewed for: no rule checks its network access, authentication, keys, TLS, diagnostics or protection. Write the rules it needs, then add it to REVIEWED_TYPES (policies/lib/reviewedTypes.ts).`,
      );
  },
);

/** The packages whose resources the pack reviews, or that create nothing in Azure (random values, waits). */
export const REVIEWED_PACKAGES = ["azure-native", "random", "time"] as const;
/**
 * Types of other packages the pack has looked at: the program's Entra groups and their members (the package-writer
 * grant rule reads the members). Not azuread as a whole: its application and service principal passwords and its
 * directory role and app role assignments are credentials and tenant permissions no rule checks.
 */
export const REVIEWED_FOREIGN_TYPES = ["azuread:index/group:Group", "azuread:index/groupMember:GroupMember"] as const;

/**
 * The package of a type token (`azure:storage/account:Account` → `azure`); the engine's own resources (`pulumi:
 * pulumi:Stack`, `pulumi:providers:<package>`) are the `pulumi` package.
 */
export function packageOfType(type: string): string {
  return type.split(":")[0];
}

export const unreviewedProviders = stackPolicy(
  {
    name: "azure-native-general-stack-disallow-unreviewed-provider",
    description:
      "Every resource of the stack comes from a package the pack reviews (azure-native), one that creates nothing in Azure the pack should check (random, time), the engine's own, or one of the program's components, or is an Entra group or group membership: every other rule is written for azure-native types, so a resource of the classic `azure`, `azapi` or a `command` provider (a way around a gap in azure-native), or an Entra application password or role assignment, would pass unchecked.",
    severity: "high",
    pci: ["1.2.1", "2.2.1"],
    gdpr: ["25(1)", "32(1)(b)"],
    soc2: ["CC8.1"],
    service: "general",
    remediationSteps:
      "Declare the resource with azure-native (its default class, or a package generated by `pulumi package add azure-native <module> <api-version>`, whose tokens the pack reads as the default class's); if another provider is the only way, write the pack's rules for its types first, then list its package in this rule's `additionalPackages` (or the types in `additionalTypes`) in policies/config/<stack>.json in the same reviewed change.",
    url: "https://www.pulumi.com/docs/insights/policy/",
    config: {
      additionalPackages: stringListKnob(
        "Packages reviewed for this stack beyond the pack's own (REVIEWED_PACKAGES).",
        [],
      ),
      additionalTypes: stringListKnob(
        "Type tokens of other packages reviewed for this stack beyond REVIEWED_FOREIGN_TYPES.",
        [],
      ),
      componentPackages: stringListKnob(
        "The packages of the program's own component resources (`payments:platform:Platform`), which create nothing themselves.",
        ["payments"],
      ),
    },
  },
  (args, report) => {
    const { additionalPackages, additionalTypes, componentPackages } = args.getConfig<{
      additionalPackages: string[];
      additionalTypes: string[];
      componentPackages: string[];
    }>();
    const types = new Set<string>([...REVIEWED_FOREIGN_TYPES, ...additionalTypes]);
    if (args.resources.length === 0) args.notApplicable("the stack declares no resource");
    const allowed = new Set<string>([...REVIEWED_PACKAGES, "pulumi", ...componentPackages, ...additionalPackages]);
    for (const r of args.resources) {
      const pkg = packageOfType(r.type);
      if (!allowed.has(pkg) && !types.has(r.type))
        report(
          `${who(r)} comes from the package '${pkg}', which the pack has not been reviewed for: no rule checks its network access, authentication, keys, TLS, diagnostics or protection. Declare it with azure-native, or write its rules and list '${pkg}' in additionalPackages (or its type in additionalTypes).`,
          r.urn,
        );
    }
  },
);
