/**
 * Cross-cutting rules that apply to every azure-native resource: EU data residency (GDPR Chapter V) and the
 * tags that scope PCI DSS controls and record ownership.
 */
import type { Policies } from "@pulumi/policy";
import { resourcePolicy, stackOfUrn, stackPolicy, stringListKnob } from "../lib/policy";
import { apiVersionOf, defaultTypeToken, typeIn, typeOfUrn } from "../lib/typeToken";
import { REVIEWED_TYPES } from "../lib/reviewedTypes";
import {
  CDE_CLASSIFICATIONS,
  DATA_CLASSIFICATION_TAG,
  DATA_CLASSIFICATION_VALUES,
  PCI_SCOPE_TAG,
  PCI_SCOPE_VALUES,
} from "../lib/scope";
import { requireKnownTemplate, templateResources } from "../lib/templates";
import { normaliseLocation, presence, requireKnown, safeGet, sameText, valueAt, who } from "../lib/values";

/** EU regions (not the EEA's Norway: the posture is EU-only) plus the global pseudo-location used by global resources (DNS zones, Front Door). */
export const EU_LOCATIONS = [
  "westeurope",
  "northeurope",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "swedencentral",
  "swedensouth",
  "italynorth",
  "polandcentral",
  "spaincentral",
  "austriaeast",
  "belgiumcentral",
  "denmarkeast",
];

/**
 * Types Azure places in the `global` pseudo-location (their data, if any, is not kept in a region): the stacks' own
 * (monitor alerts and action groups, the Monitor private link scope, private DNS) and the global network services.
 * A regional service given `global` (a Translator account) would process data outside the EU.
 */
export const GLOBAL_TYPES = [
  "azure-native:alertsmanagement:AlertProcessingRuleByName",
  "azure-native:alertsmanagement:SmartDetectorAlertRule",
  "azure-native:cdn:AFDEndpoint",
  "azure-native:cdn:Policy",
  "azure-native:cdn:Profile",
  "azure-native:dns:Zone",
  "azure-native:frontdoor:FrontDoor",
  "azure-native:frontdoor:Policy",
  "azure-native:monitor:ActionGroup",
  "azure-native:monitor:ActivityLogAlert",
  "azure-native:monitor:MetricAlert",
  "azure-native:monitor:PrivateLinkScope",
  "azure-native:privatedns:PrivateZone",
  "azure-native:privatedns:VirtualNetworkLink",
  "azure-native:trafficmanager:Profile",
];

/** A location in the allowed list (any spelling: "West Europe", "westeurope"), or `global` for a global type. */
function locationAllowed(location: string, allowed: readonly string[], type?: string): boolean {
  const loc = normaliseLocation(location);
  if (loc === "global") return type === undefined || typeIn(GLOBAL_TYPES, type);
  return allowed.map(normaliseLocation).includes(loc);
}

/**
 * Regions below the top of a type's inputs, where the service keeps or processes data too: API Management's
 * additional gateway regions, Service Bus and Event Hubs geo-replicas, a managed integration runtime's compute
 * (`AutoResolve`: the factory's own region). Named per type (a walk over every `location` key flagged tags and App
 * Insights probe ids); `*` stands for each element of an array. Cosmos DB's `locations` are its own rule's.
 */
export const NESTED_REGION_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  "azure-native:apimanagement:ApiManagementService": [["additionalLocations", "*", "location"]],
  "azure-native:servicebus:Namespace": [["geoDataReplication", "locations", "*", "locationName"]],
  "azure-native:eventhub:Namespace": [["geoDataReplication", "locations", "*", "locationName"]],
  "azure-native:datafactory:IntegrationRuntime": [["properties", "computeProperties", "location"]],
  "azure-native:synapse:IntegrationRuntime": [["properties", "computeProperties", "location"]],
};
/** Nested values that name no region (a managed integration runtime resolving to its factory's region). */
const NOT_A_REGION = ["autoresolve"];

/**
 * The strings at a type's nested region paths, with their paths (`additionalLocations[1].location`). A value unknown
 * during preview is not read (the update, and the analysis of the deployed view, see it).
 */
export function nestedLocations(type: string, props: unknown): { path: string; value: string }[] {
  const found: { path: string; value: string }[] = [];
  const walk = (node: unknown, rest: readonly string[], at: string) => {
    if (rest.length === 0) {
      if (typeof node === "string" && !NOT_A_REGION.includes(normaliseLocation(node)))
        found.push({ path: at, value: node });
      return;
    }
    const [key, ...tail] = rest;
    if (key === "*") {
      if (Array.isArray(node)) node.forEach((e, i) => walk(e, tail, `${at}[${i}]`));
      return;
    }
    if (presence(node, key) !== "set") return;
    walk(safeGet(node, key), tail, at ? `${at}.${key}` : key);
  };
  for (const p of NESTED_REGION_PATHS[defaultTypeToken(type)] ?? []) walk(props, p, "");
  return found;
}

export const allowedLocations = resourcePolicy<{ location?: string }>(
  {
    name: "azure-native-general-resource-enforce-eu-location",
    description:
      "Every Azure resource with a location is deployed to an allowed EU region, every region below the top of its inputs (an API Management gateway's additional locations, a geo-replica) is one too, only global services use `global`, and every top-level resource states its location (none inherited from the provider or the resource group), so personal and cardholder data stay in the EU.",
    severity: "critical",
    pci: ["12.5.2"],
    gdpr: ["44", "45", "46"],
    soc2: ["C1.1"],
    service: "general",
    remediationSteps:
      "Set `location` (and every nested `location` / `locationName`) to one of the allowed EU regions (policy config `allowedLocations`, default the EU regions); `global` is allowed only for the global types (DNS, Front Door, Traffic Manager, CDN profiles, Monitor alerts, action groups and private link scopes).",
    url: "https://learn.microsoft.com/azure/governance/policy/samples/built-in-policies#general",
    config: {
      allowedLocations: {
        type: "array",
        // A subset of the EU regions: the config narrows the rule, it cannot open it to another region (GDPR 44).
        items: { type: "string", enum: EU_LOCATIONS },
        default: EU_LOCATIONS,
        description: "Azure regions (lower-case, no spaces) resources may be deployed to.",
      },
    },
  },
  [], // filled below: applies to every azure-native type
  (props, args, report) => {
    const { allowedLocations: allowed } = args.getConfig<{ allowedLocations: string[] }>();
    // Regions below the top (a gateway's additional locations, a geo-replica, a runtime's compute) hold data too:
    // read first, so a child resource without a location of its own (an integration runtime) is checked as well.
    for (const n of nestedLocations(args.type, props)) {
      if (!locationAllowed(n.value, allowed) || normaliseLocation(n.value) === "global")
        report(
          `${who(args)} places ${n.path} in '${n.value}', outside the EU regions this stack allows (${allowed.join(", ")}): every region a resource keeps or processes data in must be one of them.`,
        );
    }
    // Unknown during preview (another resource's output): undecided, decided at the update.
    if (presence(props, "location") === "unknown") requireKnown(props, "location");
    const location = safeGet(props, "location");
    if (location === undefined) {
      // A top-level resource without one takes the provider's default location or its resource group's, neither of
      // which this rule sees: it must say where it goes. Child resources live where their parent does.
      if (TAGGABLE_TYPES.includes(args.type) && !UNLOCATED_TYPES.includes(args.type)) {
        report(
          `${who(args)} has no location input, so it takes the provider's default or its resource group's: set location to an EU region.`,
        );
        return;
      }
      if (NESTED_REGION_PATHS[args.type]) return; // its nested regions were read above
      args.notApplicable("the resource has no location input");
    }
    if (typeof location === "string" && !locationAllowed(location, allowed, args.type)) {
      report(
        normaliseLocation(location) === "global"
          ? `${who(args)} is in 'global', which only global services may use (this type keeps its data in a region): set location to one of the EU regions this stack allows (${allowed.join(", ")}).`
          : EU_LOCATIONS.includes(normaliseLocation(location))
            ? `${who(args)} is in '${location}', an EU region outside this stack's allowedLocations (${allowed.join(", ")}): set location to one of them, or add it to allowedLocations in policies/config/<stack>.json (and the template and Cosmos DB rules' lists there) after the security team's review.`
            : `${who(args)} is in '${location}', outside the EU regions this stack allows (${allowed.join(", ")}): set location to one of them.`,
      );
    }
  },
);

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

/**
 * What the program creates through inline ARM deployments (singletons azure-native cannot create or adopt: the
 * Synapse workspace's key activation, SQL administrator and SQL security settings, the factory's managed virtual
 * network). Each has its own rule reading the template (synapseSql.ts); anything else in a template would escape
 * every typed rule of the pack.
 */
export const ALLOWED_TEMPLATE_TYPES = [
  "Microsoft.Synapse/workspaces/keys",
  "Microsoft.Synapse/workspaces/sqlAdministrators",
  "Microsoft.Synapse/workspaces/extendedAuditingSettings",
  "Microsoft.Synapse/workspaces/securityAlertPolicies",
  "Microsoft.Synapse/workspaces/vulnerabilityAssessments",
  "Microsoft.DataFactory/factories/managedVirtualNetworks",
  // Read by azure-native-resources-deployment-require-defender-standard-plans.
  "Microsoft.Security/pricings",
  "Microsoft.Security/securityContacts",
];

const DEPLOYMENT = "azure-native:resources:Deployment";
/** Deployments at the other scopes: their templates escape the typed rules just as a resource group's would. */
const SCOPED_DEPLOYMENTS = [
  "azure-native:resources:DeploymentAtSubscriptionScope",
  "azure-native:resources:DeploymentAtManagementGroupScope",
  "azure-native:resources:DeploymentAtTenantScope",
];
const GENERIC = "azure-native:resources:Resource";

export const untypedResources = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-resources-deployment-disallow-unchecked-resource-types",
    description:
      "Inline ARM deployments declare only the resource types the pack reads in templates, in EU regions, and generic resources are used only for allow-listed types: anything else would escape every typed rule (network access, keys, locations).",
    severity: "high",
    pci: ["1.2.1", "2.2.1"],
    gdpr: ["25(1)", "44"],
    soc2: ["CC8.1"],
    service: "general",
    remediationSteps:
      "Create the resource with its typed azure-native class; if only a template can do it, add its ARM type to `allowedTemplateTypes` (or `allowedGenericTypes`) together with a rule that reads it. Link no external template.",
    url: "https://www.pulumi.com/registry/packages/azure-native/api-docs/resources/deployment/",
    config: {
      allowedTemplateTypes: {
        type: "array",
        items: { type: "string" },
        default: ALLOWED_TEMPLATE_TYPES,
        description:
          "ARM types (`<namespace>/<type>`) a deployment's template may declare: those a rule of the pack reads in a template.",
      },
      allowedGenericTypes: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "`<namespace>/<type>` of generic resources the pack may accept (none by default).",
      },
      allowedLocations: {
        type: "array",
        // A subset of the EU regions: the config narrows the rule, it cannot open it to another region (GDPR 44).
        items: { type: "string", enum: EU_LOCATIONS },
        default: EU_LOCATIONS,
        description: "Regions a template's resources may name: keep it the location rule's allowedLocations.",
      },
    },
  },
  [DEPLOYMENT, ...SCOPED_DEPLOYMENTS, GENERIC],
  (props, args, report) => {
    const cfg = args.getConfig<{
      allowedTemplateTypes: string[];
      allowedGenericTypes: string[];
      allowedLocations: string[];
    }>();
    const allowed = (types: readonly string[], t: string) => types.some((x) => sameText(x, t));
    if (args.type === GENERIC) {
      // Unknown during preview: undecided, never passed.
      if (presence(props, "resourceProviderNamespace") === "unknown") requireKnown(props, "resourceProviderNamespace");
      if (presence(props, "resourceType") === "unknown") requireKnown(props, "resourceType");
      const ns = safeGet(props, "resourceProviderNamespace");
      const type = safeGet(props, "resourceType");
      if (typeof ns !== "string" || typeof type !== "string") return;
      const full = `${ns}/${type}`;
      if (!allowed(cfg.allowedGenericTypes, full))
        report(
          `${who(args)} creates ${full} as a generic resource, which no typed rule of the pack checks: use its azure-native class, or allow-list it in allowedGenericTypes with a rule that reads it.`,
        );
      return;
    }
    if (presence(props, "properties", "templateLink") === "set") {
      report(`${who(args)} deploys a linked template the pack cannot read: inline it (properties.template).`);
    }
    requireKnownTemplate(props);
    const declared = valueAt(props, "properties", "template", "resources");
    if (declared !== undefined && declared !== null && typeof declared === "object" && !Array.isArray(declared)) {
      report(
        `${who(args)} template names its resources (languageVersion 2.0), which the pack cannot read: list them as an array.`,
      );
    }
    for (const r of templateResources({ props })) {
      if (!allowed(cfg.allowedTemplateTypes, r.type))
        report(
          `${who(args)} template declares ${r.type} (${r.name}), which no rule of the pack reads in a template: use its azure-native class, or add it to allowedTemplateTypes with a rule that reads it.`,
        );
    }
    const entries = valueAt(props, "properties", "template", "resources");
    for (const [i, entry] of (Array.isArray(entries) ? entries : []).entries()) {
      const location = safeGet(entry, "location");
      if (typeof location !== "string" || location.startsWith("[")) continue; // an expression: the deployment's own
      if (!locationAllowed(location, cfg.allowedLocations))
        report(
          `${who(args)} template resource ${i} is in '${location}', outside the allowed EU regions: set an EU location.`,
        );
    }
  },
);

/** The subscription deployment that sets the Defender for Cloud plans (components/operations/governance.ts). */
export const DEFENDER_DEPLOYMENT_NAMES = ["defender-for-cloud-plans"];

export const defenderPlans = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-resources-deployment-require-defender-standard-plans",
    description:
      "A template that sets Microsoft Defender for Cloud plans (`Microsoft.Security/pricings`) sets them to Standard, and its security contact (`Microsoft.Security/securityContacts`) stays enabled with someone to tell: a downgrade to Free or a silenced contact would switch off threat detection and its alerts for the whole subscription.",
    severity: "high",
    pci: ["11.5.1", "10.7.2", "12.10.5"],
    gdpr: ["32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "general",
    remediationSteps:
      'Set `properties.pricingTier: "Standard"` on every `Microsoft.Security/pricings` entry, and `properties.isEnabled: true` with `properties.emails` on `Microsoft.Security/securityContacts`; in a governance stack, keep every plan of `requiredPlans` in the template.',
    url: "https://learn.microsoft.com/azure/defender-for-cloud/enable-enhanced-security",
    config: {
      governanceStacks: stringListKnob(
        "Stacks that own their subscription's Defender plans: their template sets every plan of requiredPlans.",
        ["prod"],
      ),
      requiredPlans: stringListKnob(
        "Defender plans (pricing names) a governance stack's template sets: the services it runs (Defender for SQL runs the SQL servers' vulnerability assessment).",
        ["SqlServers", "CosmosDbs", "KeyVaults", "StorageAccounts", "Arm"],
      ),
      deploymentNames: stringListKnob(
        "Names of the subscription deployments that set the Defender plans: in a governance stack, checked even when their template sets none.",
        DEFENDER_DEPLOYMENT_NAMES,
      ),
    },
  },
  [DEPLOYMENT, ...SCOPED_DEPLOYMENTS],
  (props, args, report) => {
    requireKnownTemplate(props);
    const entries = templateResources({ props }).filter(
      (r) => sameText(r.type, "Microsoft.Security/pricings") || sameText(r.type, "Microsoft.Security/securityContacts"),
    );
    const { governanceStacks, requiredPlans, deploymentNames } = args.getConfig<{
      governanceStacks: string[];
      requiredPlans: string[];
      deploymentNames: string[];
    }>();
    // The governance stack's Defender deployment (by its name) is checked even when its template sets nothing: a
    // template emptied of its plans would otherwise be "not applicable" (the last review's mutation).
    const named = deploymentNames.some((n) => sameText(safeGet(props, "deploymentName"), n));
    const governed = governanceStacks.includes(stackOfUrn(args.urn));
    if (entries.length === 0 && !(named && governed))
      args.notApplicable("its template sets no Defender plan or security contact");
    const pricings = entries.filter((r) => sameText(r.type, "Microsoft.Security/pricings"));
    if ((pricings.length > 0 || named) && governed) {
      // A plan dropped from the template (Azure keeps its last tier, but the program no longer holds it) is a plan
      // the governance stack no longer guarantees.
      const missing = requiredPlans.filter(
        (plan) => !pricings.some((r) => sameText(String(r.name).split("/").pop(), plan)),
      );
      if (missing.length > 0)
        report(
          `${who(args)} template sets the Defender plans but not ${missing.join(", ")}, which stack '${stackOfUrn(args.urn)}' must hold (requiredPlans): add a Microsoft.Security/pricings entry at "Standard" for each.`,
        );
    }
    for (const r of entries) {
      if (sameText(r.type, "Microsoft.Security/pricings")) {
        // "free and standard. The standard tier offers advanced security capabilities" (the SDK's PricingTier).
        const tier = safeGet(r.properties, "pricingTier");
        if (!sameText(tier, "Standard"))
          report(
            `${who(args)} template sets the Defender plan ${r.name} to ${String(tier ?? "unset")}: set properties.pricingTier to "Standard".`,
          );
      } else {
        if (safeGet(r.properties, "isEnabled") === false)
          report(`${who(args)} template disables the security contact ${r.name}: set properties.isEnabled to true.`);
        const emails = safeGet(r.properties, "emails");
        if (typeof emails !== "string" || emails.trim() === "")
          report(`${who(args)} template's security contact ${r.name} names no address: set properties.emails.`);
      }
    }
  },
);

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

export const generalPolicies: Policies = [
  allowedLocations,
  requiredTags,
  untypedResources,
  defenderPlans,
  defaultApiVersion,
  unreviewedTypes,
  unreviewedProviders,
];
