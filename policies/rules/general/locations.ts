/**
 * Where resources live: allowed EU regions only, the regions nested in their inputs included; `global` only for global services.
 */
import { resourcePolicy } from "../../lib/policy";
import { defaultTypeToken, typeIn } from "../../lib/typeToken";
import { normaliseLocation, presence, requireKnown, safeGet, who } from "../../lib/values";
import { TAGGABLE_TYPES, UNLOCATED_TYPES } from "./tags";

// ---------------------------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------------------------

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
export function locationAllowed(location: string, allowed: readonly string[], type?: string): boolean {
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
  // Not in the default Event Hubs namespace of azure-native 3.28 (only Service Bus has it there): read on a local
  // package of a newer API version (`azure-native_eventhub_v<date>:eventhub:Namespace`, defaultTypeToken).
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
