/**
 * What escapes the typed rules: inline ARM deployments and generic resources only of the types the pack reads there, in EU regions; a template's Defender for Cloud plans at Standard, with an enabled security contact.
 */
import { resourcePolicy, stackOfUrn, stringListKnob } from "../../lib/policy";
import { requireKnownTemplate, templateResources } from "../../lib/templates";
import { presence, requireKnown, safeGet, sameText, valueAt, who } from "../../lib/values";
import { EU_LOCATIONS, locationAllowed } from "./locations";

// ---------------------------------------------------------------------------------------------------------------
// Untyped resources and deployments
// ---------------------------------------------------------------------------------------------------------------

/**
 * What the program creates through inline ARM deployments (singletons azure-native cannot create or adopt: the
 * Synapse workspace's key activation, SQL administrator and SQL security settings, the factory's managed virtual
 * network, the workspace tables' retention). Each has its own rule reading the template (synapseSql.ts); anything else in a template would escape
 * every typed rule of the pack.
 */
export const ALLOWED_TEMPLATE_TYPES = [
  "Microsoft.Synapse/workspaces/keys",
  "Microsoft.Synapse/workspaces/sqlAdministrators",
  "Microsoft.Synapse/workspaces/extendedAuditingSettings",
  "Microsoft.Synapse/workspaces/securityAlertPolicies",
  "Microsoft.Synapse/workspaces/vulnerabilityAssessments",
  "Microsoft.DataFactory/factories/managedVirtualNetworks",
  // Read by azure-native-operationalinsights-table-configure-retention (a table's retention: Azure creates its tables).
  "Microsoft.OperationalInsights/workspaces/tables",
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
