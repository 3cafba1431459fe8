/**
 * Event Hubs: namespaces without local (key) authentication or public network access, with TLS 1.2 and a customer-managed key; event hubs keeping events no longer than allowed.
 */
import type * as eventhub from "@pulumi/azure-native/eventhub";
import { resourcePolicy, stackOfUrn } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { isSet, oneOf, presence, requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { EH_NAMESPACE, EH_NETWORK_RULE_SET } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Event Hubs
// ---------------------------------------------------------------------------------------------------------------

export const eventHubLocalAuth = resourcePolicy<eventhub.NamespaceArgs>(
  {
    name: "azure-native-eventhub-namespace-disable-local-auth",
    description:
      "Event Hubs namespaces refuse SAS keys, so producers and consumers authenticate with Microsoft Entra identities only.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "eventhub",
    remediationSteps:
      "Set `disableLocalAuth: true` and grant Azure Event Hubs Data Sender/Receiver roles to managed identities.",
    url: "https://learn.microsoft.com/azure/event-hubs/authenticate-shared-access-signature",
  },
  EH_NAMESPACE,
  (props, args, report) => {
    // Absent = false (SAS keys accepted).
    if (props.disableLocalAuth !== true) {
      report(
        `${who(args)} accepts SAS keys (disableLocalAuth ${show(props.disableLocalAuth)}, false by default): set disableLocalAuth to true.`,
      );
    }
  },
);

export const eventHubNetwork = resourcePolicy<eventhub.NamespaceArgs | eventhub.NamespaceNetworkRuleSetArgs>(
  {
    name: "azure-native-eventhub-namespace-disallow-public-network-access",
    description:
      "Event Hubs namespaces are reachable only through private endpoints, in the namespace and in its network rule set (a separate resource that rewrites the namespace's network access).",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "eventhub",
    remediationSteps: 'Set `publicNetworkAccess: "Disabled"` and add a private endpoint with group id `namespace`.',
    url: "https://learn.microsoft.com/azure/event-hubs/network-security",
  },
  [EH_NAMESPACE, EH_NETWORK_RULE_SET],
  (props, args, report) => {
    // Absent = Enabled ("by default it is enabled"), on both resources. "SecuredByPerimeter" is not closed either:
    // "Public access is granted in accordance with the access rules defined by the associated perimeter profile"
    // (private-link/network-security-perimeter-transition), which the pack does not check (as the SQL server and
    // Cosmos DB rules say).
    if (!sameText(props.publicNetworkAccess, "Disabled")) {
      report(
        `${who(args)} accepts public traffic (publicNetworkAccess ${props.publicNetworkAccess === undefined ? 'unset, "Enabled" by default' : show(props.publicNetworkAccess)}${sameText(props.publicNetworkAccess, "SecuredByPerimeter") ? ", governed by a network security perimeter's access rules the pack does not check" : ""}): set publicNetworkAccess to "Disabled".`,
      );
    }
  },
);

export const eventHubTls = resourcePolicy<eventhub.NamespaceArgs>(
  {
    name: "azure-native-eventhub-namespace-enforce-minimum-tls-version",
    description: "Event Hubs namespaces refuse TLS versions older than 1.2.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "eventhub",
    remediationSteps: 'Set `minimumTlsVersion: "1.2"`.',
    url: "https://learn.microsoft.com/azure/event-hubs/transport-layer-security-configure-minimum-version",
  },
  EH_NAMESPACE,
  (props, args, report) => {
    // Absent: the service default has changed over time (1.0 for older namespaces); require it explicitly.
    if (!oneOf(props.minimumTlsVersion, ["1.2", "1.3"])) {
      report(`${who(args)} accepts TLS '${props.minimumTlsVersion ?? "unset"}': set minimumTlsVersion to "1.2".`);
    }
  },
);

export const eventHubCmk = resourcePolicy<eventhub.NamespaceArgs>(
  {
    name: "azure-native-eventhub-namespace-require-customer-managed-key",
    description:
      "Event Hubs namespaces in production stacks are Premium (or on a dedicated cluster) and encrypt events with a customer-managed key from Key Vault, over infrastructure encryption: a Standard namespace cannot hold a customer-managed key at all.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "eventhub",
    remediationSteps:
      'Set `encryption: { keySource: "Microsoft.KeyVault", keyVaultProperties: [{ keyName, keyVaultUri, identity: { userAssignedIdentity } }], requireInfrastructureEncryption: true }` with a user-assigned `identity`; CMK needs the Premium SKU or a dedicated cluster (a Standard namespace in a production stack fails).',
    url: "https://learn.microsoft.com/azure/event-hubs/configure-customer-managed-key",
    config: {
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
    },
  },
  EH_NAMESPACE,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in prodStacks`);
    // CMK exists only for Premium namespaces and namespaces on a dedicated cluster; sku absent = Standard. In a
    // production stack another SKU is itself the violation (a one-line config change would otherwise turn the rule
    // off: the policy pack review's mutation).
    if (!sameText(props.sku?.name, "Premium") && !isSet(props, "clusterArmId")) {
      report(
        `${who(args)} is ${show(props.sku?.name ?? "Standard")} in stack '${stackOfUrn(args.urn)}', which cannot encrypt with a customer-managed key: use the Premium SKU (or a dedicated cluster) with encryption.keySource "Microsoft.KeyVault".`,
      );
      return;
    }
    const enc = props.encryption;
    // encryption absent = Microsoft-managed keys.
    if (!sameText(enc?.keySource, "Microsoft.KeyVault")) {
      report(
        `${who(args)} uses Microsoft-managed keys in stack '${stackOfUrn(args.urn)}': set encryption.keySource to "Microsoft.KeyVault" with encryption.keyVaultProperties.`,
      );
      return;
    }
    const keys = enc?.keyVaultProperties ?? [];
    if (keys.length === 0 || keys.some((k) => !isSet(k, "keyName") || !isSet(k, "keyVaultUri"))) {
      report(`${who(args)} names no key: set encryption.keyVaultProperties[].keyName and keyVaultUri.`);
    }
    // The second layer the remediation asks for: "requireInfrastructureEncryption: Enable Infrastructure Encryption
    // (Double Encryption)" (the SDK's Encryption type), a creation-time choice of the namespace.
    if (presence(props, "encryption", "requireInfrastructureEncryption") === "unknown")
      requireKnown(props, "encryption", "requireInfrastructureEncryption");
    if (valueAt(props, "encryption", "requireInfrastructureEncryption") !== true) {
      report(
        `${who(args)} has no infrastructure encryption: set encryption.requireInfrastructureEncryption to true (at creation: a namespace cannot add it later).`,
      );
    }
  },
);

const EVENT_HUB = "azure-native:eventhub:EventHub";

export const eventHubRetention = resourcePolicy<eventhub.EventHubArgs>(
  {
    name: "azure-native-eventhub-eventhub-enforce-maximum-retention",
    description:
      "Event hubs state how long they keep events (delete after a retention of at most the configured hours), and none uses log compaction, which keeps the latest event of each key with no time limit.",
    severity: "medium",
    pci: ["3.2.1"],
    gdpr: ["5(1)(e)", "25"],
    soc2: ["C1.2"],
    service: "eventhub",
    remediationSteps:
      'Set `retentionDescription: { cleanupPolicy: "Delete", retentionTimeInHours: <hours> }` (at most `maxRetentionHours`); consumers that need events longer land them in the lake (capture or a job) with its own retention.',
    url: "https://learn.microsoft.com/azure/event-hubs/event-hubs-features#event-retention",
    config: {
      maxRetentionHours: {
        type: "integer",
        minimum: 1,
        maximum: 2160,
        default: 168,
        description: "Longest retention of an event hub, in hours (default 7 days; Premium and Dedicated allow 90).",
      },
    },
  },
  EVENT_HUB,
  (props, args, report) => {
    const { maxRetentionHours } = args.getConfig<{ maxRetentionHours: number }>();
    for (const key of ["cleanupPolicy", "retentionTimeInHours"]) requireKnown(props, "retentionDescription", key);
    requireKnown(props, "messageRetentionInDays");
    const policy = valueAt(props, "retentionDescription", "cleanupPolicy");
    if (oneOf(policy, ["Compact"])) {
      report(
        `${who(args)} compacts its log (retentionDescription.cleanupPolicy ${show(policy)}): the latest event of each key stays with no time limit; use "Delete" with a retention.`,
      );
      return;
    }
    const hours = valueAt(props, "retentionDescription", "retentionTimeInHours");
    const days = valueAt(props, "messageRetentionInDays");
    const retention = typeof hours === "number" ? hours : typeof days === "number" ? days * 24 : undefined;
    if (retention === undefined) {
      report(
        `${who(args)} sets no retention (the service default applies): set retentionDescription.retentionTimeInHours, at most ${maxRetentionHours}.`,
      );
    } else if (retention > maxRetentionHours) {
      report(
        `${who(args)} keeps events ${retention} hours, more than the ${maxRetentionHours} allowed (maxRetentionHours): lower retentionDescription.retentionTimeInHours.`,
      );
    }
  },
);
