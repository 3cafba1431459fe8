/**
 * Stateful data resources, their stateful children and user-assigned identities carry Pulumi's `protect` in protected stacks.
 */
import { resourcePolicy, stackOfUrn } from "../../lib/policy";
import { inStacks } from "../../lib/scope";
import { typeIn } from "../../lib/typeToken";
import { who } from "../../lib/values";
import { STATEFUL_TYPES, IDENTITY_TYPES, PROTECTED_CHILD_TYPES, stackKnob, type StackConfig } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Protect
// ---------------------------------------------------------------------------------------------------------------

export const requireProtect = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-require-protect",
    description:
      "Stateful data resources (databases, storage, key vaults, event hubs, log workspaces, ML workspaces, and the Cosmos DB databases and containers and event hubs inside them) and user-assigned identities (a re-created one is another principal, which the database users, sites and gateways bound to the old one do not follow) in protected stacks have the Pulumi `protect` option set, so no update or destroy can delete them.",
    severity: "high",
    pci: ["6.5.1", "10.5.1"],
    gdpr: ["32(1)(b)", "32(1)(c)"],
    soc2: ["A1.2", "CC8.1"],
    service: "general",
    remediationSteps:
      "Pass `{ protect: true }` in the resource options of every stateful resource in the prod stack (the program's component `protect` flag); to delete one deliberately, unprotect it first in a reviewed change.",
    url: "https://www.pulumi.com/docs/iac/concepts/options/protect/",
    config: {
      ...stackKnob,
      resourceTypes: {
        ...stackKnob.resourceTypes,
        default: [...STATEFUL_TYPES, ...PROTECTED_CHILD_TYPES, ...IDENTITY_TYPES],
      },
    },
  },
  [], // every azure-native type; narrowed by the `resourceTypes` knob below
  (_props, args, report) => {
    const { protectedStacks, resourceTypes } = args.getConfig<StackConfig>();
    if (!typeIn(resourceTypes, args.type)) args.notApplicable("not a stateful resource type (resourceTypes)");
    if (!inStacks(args.urn, protectedStacks)) {
      args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in protectedStacks`);
    }
    // `protect` absent means false (Pulumi's default).
    if (args.opts.protect !== true) {
      report(
        `${who(args)} in stack '${stackOfUrn(args.urn)}' is not protected: set the resource option \`protect: true\`.`,
      );
    }
  },
);
