/**
 * The `pci-scope` tag takes a resource out of the cardholder-data-environment rules (customer-managed keys, Cosmos DB
 * continuous backup, SQL long-term retention, Data Factory and ML hardening: the rules with `inScopeTagValues`). The
 * tag is written in the program, where a reviewer of components/ may not see what it switches off; in a production
 * stack the decision belongs in the policy config, reviewed by whoever owns the PCI DSS scope (policy review N8).
 * PCI DSS 12.5.2 (the scope documented and confirmed), 1.2.4 (data-flow diagrams kept accurate).
 */
import type { Policies } from "@pulumi/policy";
import { checkExemption, recordExemption, ruleExemptionSchema, type Exemption } from "../lib/exemptions";
import { resourcePolicy } from "../lib/policy";
import { inStacks, PCI_SCOPE_TAG, prodStacksKnob } from "../lib/scope";
import { valueAt, who } from "../lib/values";

export const outOfScopeListed = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-require-listed-out-of-scope-tag",
    description: `A resource of a production stack tagged \`${PCI_SCOPE_TAG}: out-of-scope\`, which leaves it out of the rules for the cardholder data environment (customer-managed keys, backups, long-term retention, service hardening), is listed with the reason in the policy config: the tag alone, written in the program, would take a resource out of the PCI DSS scope without the scope's owner seeing it.`,
    severity: "medium",
    pci: ["12.5.2", "1.2.4"],
    gdpr: ["30", "32(1)"],
    soc2: ["CC3.2"],
    service: "general",
    remediationSteps: `Tag the resource \`${PCI_SCOPE_TAG}: connected\` (or \`cde\`), or list it in this rule's \`outOfScopeResources\` (name pattern and the reason: why no cardholder data can reach it) in policies/config/<stack>.json, in a change the PCI scope's owner reviews.`,
    url: "https://learn.microsoft.com/azure/compliance/offerings/offering-pci-dss",
    config: {
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      outOfScopeResources: {
        ...ruleExemptionSchema,
        description: `Resources (name pattern, \`*\` wildcard, and optionally their type token, \`type\`, each with the reason) of production stacks whose \`${PCI_SCOPE_TAG}: out-of-scope\` tag the scope's owner has accepted (none by default).`,
      },
    },
  },
  [],
  (props, args, report) => {
    const { prodStacks, outOfScopeResources } = args.getConfig<{
      prodStacks: string[];
      outOfScopeResources: Exemption[];
    }>();
    if (!inStacks(args.urn, prodStacks)) args.notApplicable("not a production stack");
    const scope = valueAt(props, "tags", PCI_SCOPE_TAG);
    // Only the exact value takes a resource out of scope (lib/scope.ts outOfScopeTag); any other fails closed.
    if (scope !== "out-of-scope") args.notApplicable(`the resource is not tagged ${PCI_SCOPE_TAG}: out-of-scope`);
    const listed = checkExemption(outOfScopeResources, args.name, args.type);
    if (listed !== undefined) {
      recordExemption({ policy: outOfScopeListed.name, urn: args.urn, ...listed });
      return;
    }
    report(
      `${who(args)} is tagged ${PCI_SCOPE_TAG}: out-of-scope in a production stack, which takes it out of the cardholder data environment's rules: tag it "connected" or "cde", or list it in outOfScopeResources with the reason, in a change the PCI scope's owner reviews.`,
    );
  },
);

export const pciScopePolicies: Policies = [outOfScopeListed];
