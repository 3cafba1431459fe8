/**
 * The tags every taggable resource carries: environment, owner, cost-center, data-classification and pci-scope.
 */
import { resourcePolicy } from "../../lib/policy";
import { typeIn } from "../../lib/typeToken";
import {
  CDE_CLASSIFICATIONS,
  DATA_CLASSIFICATION_TAG,
  DATA_CLASSIFICATION_VALUES,
  PCI_SCOPE_TAG,
  PCI_SCOPE_VALUES,
} from "../../lib/scope";
import { safeGet, who } from "../../lib/values";

// ---------------------------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------------------------

/** Top-level (taggable) types that take no `location` input: they live where their parent does. */
export const UNLOCATED_TYPES = ["azure-native:sql:FailoverGroup"];

/**
 * Reviewed types whose inputs take `tags` that the tags rule leaves alone, each with the reason. Every other reviewed
 * type whose SDK inputs take `tags` is in TAGGABLE_TYPES (tests/policies/general.spec.ts reads the SDK for both).
 */
export const UNTAGGED_TYPES: Readonly<Record<string, string>> = {
  "azure-native:cosmosdb:SqlResourceSqlDatabase": "a Cosmos DB account's child: the account carries the tags",
  "azure-native:cosmosdb:SqlResourceSqlContainer": "a Cosmos DB account's child: the account carries the tags",
  "azure-native:keyvault:Key": "its tags are the key's own attributes in the vault, not Azure Resource Manager tags",
  "azure-native:keyvault:Secret":
    "its tags are the secret's own attributes in the vault, not Azure Resource Manager tags",
  "azure-native:resources:Deployment": "a deployment's record, not a resource: the template rule reads what it deploys",
  "azure-native:resources:DeploymentAtSubscriptionScope": "a deployment's record, not a resource",
  "azure-native:resources:DeploymentAtManagementGroupScope": "a deployment's record, not a resource",
  "azure-native:resources:DeploymentAtTenantScope": "a deployment's record, not a resource",
  "azure-native:resources:Resource": "generic: whether it takes tags depends on the type it wraps",
};

/** Tags the platform requires on every taggable resource. */
export const REQUIRED_TAGS = ["environment", "owner", "cost-center", "data-classification", "pci-scope"];

/** Top-level ARM resource types (they accept `tags`); child resources such as containers or rules do not. */
export const TAGGABLE_TYPES = [
  "azure-native:resources:ResourceGroup",
  "azure-native:network:VirtualNetwork",
  "azure-native:network:NetworkSecurityGroup",
  "azure-native:network:ApplicationSecurityGroup",
  "azure-native:network:IpGroup",
  "azure-native:network:FlowLog",
  "azure-native:network:PrivateEndpoint",
  "azure-native:network:PublicIPAddress",
  "azure-native:network:ApplicationGateway",
  "azure-native:network:WebApplicationFirewallPolicy",
  "azure-native:network:AzureFirewall",
  "azure-native:network:FirewallPolicy",
  "azure-native:network:DdosProtectionPlan",
  "azure-native:network:RouteTable",
  "azure-native:network:NetworkWatcher",
  "azure-native:privatedns:PrivateZone",
  "azure-native:privatedns:VirtualNetworkLink",
  "azure-native:keyvault:Vault",
  "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:operationalinsights:Workspace",
  "azure-native:applicationinsights:Component",
  "azure-native:monitor:ActionGroup",
  "azure-native:monitor:MetricAlert",
  "azure-native:monitor:ScheduledQueryRule",
  "azure-native:monitor:ActivityLogAlert",
  "azure-native:monitor:PrivateLinkScope",
  "azure-native:alertsmanagement:AlertProcessingRuleByName",
  "azure-native:applicationinsights:Workbook",
  "azure-native:eventgrid:SystemTopic",
  "azure-native:sql:Server",
  "azure-native:sql:Database",
  "azure-native:sql:FailoverGroup",
  "azure-native:synapse:Workspace",
  "azure-native:synapse:SqlPool",
  "azure-native:synapse:PrivateLinkHub",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:datafactory:Factory",
  "azure-native:machinelearningservices:Workspace",
  "azure-native:machinelearningservices:Compute",
  "azure-native:machinelearningservices:OnlineEndpoint",
  "azure-native:storage:StorageAccount",
  "azure-native:eventhub:Namespace",
  "azure-native:streamanalytics:StreamingJob",
  "azure-native:web:WebApp",
  "azure-native:web:WebAppSlot",
  "azure-native:web:AppServicePlan",
  "azure-native:containerregistry:Registry",
];

export const requiredTags = resourcePolicy<{ tags?: Record<string, string> }>(
  {
    name: "azure-native-general-resource-missing-required-tags",
    description:
      "Every taggable Azure resource carries the environment, owner, cost-center, data-classification and pci-scope tags that scope PCI DSS controls and record ownership; its pci-scope is one of cde, connected or out-of-scope, its data-classification one of public, internal, confidential or restricted, and confidential or restricted in the cardholder data environment.",
    severity: "medium",
    pci: ["12.5.1", "12.5.2"],
    gdpr: ["30"],
    soc2: ["CC2.1"],
    service: "general",
    remediationSteps:
      "Add the missing keys to `tags` (the program's `tagsFor()` helper sets all of them); `pci-scope` is `cde`, `connected` or `out-of-scope`; `data-classification` is `public`, `internal`, `confidential` or `restricted` (`confidential` or `restricted` with `pci-scope: cde`).",
    url: "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources",
    config: {
      requiredTags: {
        type: "array",
        items: { type: "string" },
        default: REQUIRED_TAGS,
        description:
          "Tag keys every taggable resource carries (values checked for `pci-scope` and `data-classification`).",
      },
      taggableTypes: {
        type: "array",
        items: { type: "string" },
        default: TAGGABLE_TYPES,
        description: "Type tokens of the top-level (taggable) resources the rule checks.",
      },
    },
  },
  [],
  (props, args, report) => {
    const { requiredTags: required, taggableTypes } = args.getConfig<{
      requiredTags: string[];
      taggableTypes: string[];
    }>();
    if (!typeIn(taggableTypes, args.type)) {
      args.notApplicable("the resource type takes no tags (not in taggableTypes)");
    }
    const tags = (safeGet(props, "tags") ?? {}) as Record<string, unknown>;
    const missing = required.filter((t) => typeof tags[t] !== "string" || (tags[t] as string).length === 0);
    if (missing.length > 0) {
      report(`${who(args)} is missing required tags: ${missing.join(", ")}. Add them to \`tags\`.`);
    }
    // The scope tag decides which controls apply: only its known values (a typo or "tbd" would silently drop a
    // resource out of scope if the rules trusted it; they treat it as in scope, and this says why).
    const scope = tags[PCI_SCOPE_TAG];
    if (typeof scope === "string" && scope.length > 0 && !(PCI_SCOPE_VALUES as readonly string[]).includes(scope)) {
      report(
        `${who(args)} has ${PCI_SCOPE_TAG} '${scope}': set it to one of ${PCI_SCOPE_VALUES.join(", ")} (lower case).`,
      );
    }
    // The classification is what GDPR records of processing and access reviews read: only its known values, and
    // nothing below confidential on a resource of the cardholder data environment.
    const classification = tags[DATA_CLASSIFICATION_TAG];
    if (typeof classification === "string" && classification.length > 0) {
      if (!(DATA_CLASSIFICATION_VALUES as readonly string[]).includes(classification)) {
        report(
          `${who(args)} has ${DATA_CLASSIFICATION_TAG} '${classification}': set it to one of ${DATA_CLASSIFICATION_VALUES.join(", ")} (lower case).`,
        );
      } else if (scope === "cde" && !(CDE_CLASSIFICATIONS as readonly string[]).includes(classification)) {
        report(
          `${who(args)} is in the cardholder data environment (${PCI_SCOPE_TAG} 'cde') but has ${DATA_CLASSIFICATION_TAG} '${classification}': set it to ${CDE_CLASSIFICATIONS.join(" or ")}.`,
        );
      }
    }
  },
);
