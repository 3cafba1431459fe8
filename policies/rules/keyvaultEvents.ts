/**
 * Key expiry reaches someone: every key vault's near-expiry and expiry events go, through an Event Grid system topic,
 * to a destination of the stack (one of its action groups, or one of its resources), or to a webhook host listed
 * with a reason. A subscription delivering them to any webhook or another tenant's resource would pass a rule that
 * only asks for "a destination", and tell an outsider which keys are about to lapse while nobody on call hears of
 * it. PCI DSS 3.6.1, 3.7.4 (key management procedures, cryptoperiod ends acted on); GDPR Art. 32(1)(b).
 */
import type { PolicyResource } from "@pulumi/policy";
import { exemptionSchema, listedName, normalId, type Exemption } from "../lib/exemptions";
import { ofType, pointsAt, recordedDependency, refersTo, requirePlaced, stackPolicy } from "../lib/policy";
import { presence, requireKnown, sameText, stringsAt, valueAt, who } from "../lib/values";

const VAULT = "azure-native:keyvault:Vault";
const SYSTEM_TOPIC = "azure-native:eventgrid:SystemTopic";
const TOPIC_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription";
const ACTION_GROUP = "azure-native:monitor:ActionGroup";
/** The Key Vault events that must be routed (event-schema-key-vault). */
export const KEY_EXPIRY_EVENTS = ["Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.KeyExpired"];

/** The host of a URL, lower-cased ("" when it is none). */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/**
 * Whether an event subscription delivers to the stack: a `MonitorAlert` destination naming only the stack's action
 * groups, a resource destination (`resourceId`: a function, hub, queue) inside one of the stack's resources, or a
 * `WebHook` to one of the stack's apps (`<app>.azurewebsites.net`) or whose host is listed. A value unknown during preview counts when the engine recorded the destination's
 * dependency on a resource of the stack; otherwise the rule cannot decide (the deployed view can).
 */
export function deliversToStack(
  sub: PolicyResource,
  resources: readonly PolicyResource[],
  allowedWebhookHosts: readonly Exemption[],
): boolean {
  // Its `destination`, or the one it delivers to with a managed identity (`deliveryWithResourceIdentity`).
  const at =
    presence(sub.props, "destination") !== "absent" ? ["destination"] : ["deliveryWithResourceIdentity", "destination"];
  const destination = valueAt(sub.props, ...at);
  if (presence(sub.props, ...at, "endpointType") === "unknown") requireKnown(destination, "endpointType");
  const type = valueAt(destination, "endpointType");
  if (type === undefined) return false;
  if (sameText(type, "WebHook")) {
    requireKnown(destination, "endpointUrl");
    const url = valueAt(destination, "endpointUrl");
    const host = typeof url === "string" ? hostOf(url) : "";
    if (host === "") return false;
    // One of the stack's own function or web apps (`<app>.azurewebsites.net`), by its name input or output.
    const app = /^([^.]+)\.azurewebsites\.net$/.exec(host)?.[1];
    if (
      app !== undefined &&
      ofType(resources, "azure-native:web:WebApp").some((w) => {
        const name = valueAt(w.props, "name");
        return typeof name === "string" && sameText(name, app);
      })
    )
      return true;
    return listedName(allowedWebhookHosts, host) !== undefined;
  }
  const others = resources.filter((r) => r.urn !== sub.urn);
  if (sameText(type, "MonitorAlert")) {
    const groups = ofType(others, ACTION_GROUP);
    const listed = valueAt(destination, "actionGroups");
    const length = Array.isArray(listed) ? listed.length : 0;
    // Every group it notifies is the stack's: one outside it would tell its owner which keys are about to lapse.
    if (length === 0) return false;
    for (let i = 0; i < length; i++) {
      const id = valueAt(listed, String(i));
      if (presence(listed, String(i)) === "unknown") {
        if (groups.some((g) => recordedDependency(sub, g, at[0]))) continue;
        requireKnown(listed, String(i));
      }
      if (typeof id !== "string") return false;
      const own = groups.some(
        (g) => typeof valueAt(g.props, "id") === "string" && normalId(String(valueAt(g.props, "id"))) === normalId(id),
      );
      if (!own) return false;
    }
    return true;
  }
  // A resource destination: the stack's resource itself or one below it (a function app's function).
  if (presence(destination, "resourceId") === "unknown") {
    if (others.some((r) => recordedDependency(sub, r, at[0]))) return true;
    requireKnown(destination, "resourceId");
  }
  const target = valueAt(destination, "resourceId");
  if (typeof target !== "string") return false;
  const t = normalId(target);
  // Below a resource, not a resource group: a group of the stack holds resources the stack does not own.
  return others
    .filter((r) => r.type !== "azure-native:resources:ResourceGroup")
    .some((r) => {
      const id = valueAt(r.props, "id");
      return typeof id === "string" && (t === normalId(id) || t.startsWith(`${normalId(id)}/`));
    });
}

export const vaultExpiryAlerts = stackPolicy(
  {
    name: "azure-native-keyvault-vault-require-key-expiry-alerts",
    description:
      "Every key vault routes its key near-expiry and expiry events to someone on call: an Event Grid system topic on the vault with subscriptions for both events delivering to one of the stack's action groups (MonitorAlert) or resources, or to a webhook host listed with a reason, never to any destination.",
    severity: "medium",
    pci: ["3.6.1", "3.7.4"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC7.2"],
    service: "keyvault",
    remediationSteps:
      'Add an `eventgrid.SystemTopic` with `source` = the vault id and `topicType: "Microsoft.KeyVault.vaults"`, and `eventgrid.SystemTopicEventSubscription`s whose `filter.includedEventTypes` cover `Microsoft.KeyVault.KeyNearExpiry` and `Microsoft.KeyVault.KeyExpired`, with `destination: { endpointType: "MonitorAlert", severity, actionGroups: [<the stack\'s action group id>] }` and `eventDeliverySchema: "CloudEventSchemaV1_0"`; a webhook (an incident tool) counts once its host is in `allowedWebhookHosts` with the reason.',
    url: "https://learn.microsoft.com/azure/event-grid/handler-azure-monitor-alerts",
    config: {
      allowedWebhookHosts: {
        ...exemptionSchema,
        description:
          "Webhook hosts (`*` wildcard, case-insensitive) a key vault's expiry events may be delivered to, each with a reason: the incident tool's, say (none by default).",
      },
    },
  },
  (args, report) => {
    const vaults = ofType(args.resources, VAULT);
    if (vaults.length === 0) args.notApplicable("the stack has no key vaults");
    const { allowedWebhookHosts = [] } = args.getConfig<{ allowedWebhookHosts?: Exemption[] }>();
    const topics = ofType(args.resources, SYSTEM_TOPIC).filter((t) =>
      sameText(valueAt(t.props, "topicType"), "Microsoft.KeyVault.vaults"),
    );
    const subscriptions = ofType(args.resources, TOPIC_SUBSCRIPTION);
    const onTopicOf = (sub: PolicyResource, topic: PolicyResource) =>
      refersTo(sub, topic, { properties: ["systemTopicName"], byName: { nameKeys: ["systemTopicName"] } });
    // A subscription this rule cannot tie to a topic yet may be one leaking a vault's expiry events.
    requirePlaced(subscriptions, (sub) => topics.some((t) => onTopicOf(sub, t)), "systemTopicName");
    for (const vault of vaults) {
      // The vault itself: not another vault whose name starts with this one's (an id prefix).
      const topic = topics.find((t) => pointsAt(t, vault, "source"));
      if (!topic) {
        report(
          `${who(vault)} has no Event Grid system topic: its key expiry events reach nobody; add an eventgrid.SystemTopic with source set to the vault id and topicType "Microsoft.KeyVault.vaults".`,
          vault.urn,
        );
        continue;
      }
      const onTopic = subscriptions.filter((sub) => onTopicOf(sub, topic));
      const delivering = new Set(onTopic.filter((sub) => deliversToStack(sub, args.resources, allowedWebhookHosts)));
      // A subscription taking expiry events (every event when it lists none) to a destination outside the stack.
      for (const sub of onTopic) {
        const types = stringsAt(sub.props, "filter", "includedEventTypes");
        const takesExpiry = types.length === 0 || KEY_EXPIRY_EVENTS.some((e) => types.some((t) => sameText(t, e)));
        const hasDestination =
          valueAt(sub.props, "destination", "endpointType") !== undefined ||
          valueAt(sub.props, "deliveryWithResourceIdentity", "destination", "endpointType") !== undefined;
        if (takesExpiry && !delivering.has(sub) && hasDestination)
          report(
            `${who(sub)} sends ${who(vault)}'s key expiry events to a destination outside the stack: deliver them only to the stack's action groups or resources (a webhook counts once its host is in allowedWebhookHosts).`,
            sub.urn,
          );
      }
      // A subscription narrowed by subject or advanced filters may route some keys' events and not others'.
      const narrowed = (sub: PolicyResource): boolean => {
        const advanced = valueAt(sub.props, "filter", "advancedFilters");
        return (
          // Known values only: in a preview Azure's outputs the program does not set read as unknown.
          ["subjectBeginsWith", "subjectEndsWith"].some((k) => {
            const v = valueAt(sub.props, "filter", k);
            return typeof v === "string" && v !== "";
          }) ||
          (Array.isArray(advanced) && advanced.length > 0)
        );
      };
      const routed = onTopic
        .filter((sub) => delivering.has(sub) && !narrowed(sub))
        .flatMap((sub) => stringsAt(sub.props, "filter", "includedEventTypes"));
      const missing = KEY_EXPIRY_EVENTS.filter((e) => !routed.some((r) => sameText(r, e)));
      if (missing.length > 0) {
        report(
          `${who(vault)} routes no ${missing.join(" or ")} event to a destination of the stack: add a subscription on ${topic.name} with filter.includedEventTypes ${JSON.stringify(missing)} delivering to one of the stack's action groups (MonitorAlert) or resources (a webhook counts once its host is in allowedWebhookHosts), with no subject or advanced filter (one that narrows it may skip keys).`,
          vault.urn,
        );
      }
    }
  },
);
