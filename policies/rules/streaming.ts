/**
 * The streaming path (Flow 3 and the fraud-scoring functions): Event Hubs namespaces, Stream Analytics jobs with
 * their inputs/outputs, and App Service / Function apps (`web.WebApp`, `kind: "functionapp,linux"`). PCI DSS 1.3/1.4
 * (network), 3.5/3.6 (encryption, CMK), 4.2.1 (transport), 7.2/8.2/8.6 (no shared keys, managed identities);
 * GDPR Art. 25 and 32. The catalogue has no rows for these services; the rules mirror the storage/Key Vault ones.
 */
import type { Policies, PolicyResource, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import type * as eventhub from "@pulumi/azure-native/eventhub";
import type * as streamanalytics from "@pulumi/azure-native/streamanalytics";
import type * as web from "@pulumi/azure-native/web";
import { ofType, refersTo, resourcePolicy, stackOfUrn, stackPolicy, type Props } from "../lib/policy";
import { isProdStack, prodStacksKnob } from "../lib/scope";
import { SETTINGS_TYPES } from "./secretOutputs";
import { sqlConnectionWeaknesses } from "./datafactory";
import { secretName } from "../lib/secrets";
import { isSet, oneOf, presence, requireKnown, safeGet, sameText, show, valueAt, who } from "../lib/values";

const EH_NAMESPACE = "azure-native:eventhub:Namespace";
/** A namespace's network rule set: a separate resource that rewrites the namespace's public network access. */
const EH_NETWORK_RULE_SET = "azure-native:eventhub:NamespaceNetworkRuleSet";
const ASA_JOB = "azure-native:streamanalytics:StreamingJob";
const ASA_INPUT = "azure-native:streamanalytics:Input";
const ASA_OUTPUT = "azure-native:streamanalytics:Output";
const WEB_APP = "azure-native:web:WebApp";
/** A deployment slot is a site of its own (its own network access, TLS, FTP and settings): the same rules apply. */
const WEB_APP_SLOT = "azure-native:web:WebAppSlot";
/** A site's storage mounts declared apart from its `siteConfig` (`properties`: mount name → AzureStorageInfoValue). */
const STORAGE_MOUNTS = [
  "azure-native:web:WebAppAzureStorageAccounts",
  "azure-native:web:WebAppAzureStorageAccountsSlot",
];
const FTP_ALLOWED = "azure-native:web:WebAppFtpAllowed";
const SCM_ALLOWED = "azure-native:web:WebAppScmAllowed";
/** The same policies of a deployment slot (a slot has its own FTP and SCM endpoints). */
const FTP_ALLOWED_SLOT = "azure-native:web:WebAppFtpAllowedSlot";
const SCM_ALLOWED_SLOT = "azure-native:web:WebAppScmAllowedSlot";

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

// ---------------------------------------------------------------------------------------------------------------
// Stream Analytics
// ---------------------------------------------------------------------------------------------------------------

export const asaIdentity = resourcePolicy<streamanalytics.StreamingJobArgs>(
  {
    name: "azure-native-streamanalytics-streamingjob-require-managed-identity",
    description:
      "Stream Analytics jobs have a managed identity, so they authenticate to Event Hubs, storage and SQL without stored keys.",
    severity: "medium",
    pci: ["8.2.2", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'Set `identity: { type: "SystemAssigned" }` and grant it data-plane roles on its inputs and outputs.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  ASA_JOB,
  (props, args, report) => {
    // identity absent = no managed identity. The 2020-03-01 API's identity has only `type` (a string).
    const type = props.identity?.type;
    if (typeof type !== "string" || type === "" || sameText(type, "None")) {
      report(`${who(args)} has no managed identity: set identity.type to "SystemAssigned".`);
    }
  },
);

export const asaJobStorage = resourcePolicy<streamanalytics.StreamingJobArgs>(
  {
    name: "azure-native-streamanalytics-streamingjob-configure-job-storage-account",
    description:
      "Stream Analytics jobs keep their query, checkpoints and reference data in the platform's own storage account (encrypted with its CMK, behind its network rules), reached with the job's managed identity.",
    severity: "medium",
    pci: ["3.5.1", "8.6.2"],
    gdpr: ["28", "32(1)(a)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'Set `contentStoragePolicy: "JobStorageAccount"` and `jobStorageAccount: { accountName, authenticationMode: "Msi" }` without `accountKey` (config `requireJobStorageAccount` makes the first part optional).',
    url: "https://learn.microsoft.com/azure/stream-analytics/data-protection",
    config: {
      requireJobStorageAccount: {
        type: "boolean",
        default: true,
        description: "Require contentStoragePolicy JobStorageAccount (job content in our storage, not Microsoft's).",
      },
    },
  },
  ASA_JOB,
  (props, args, report) => {
    const { requireJobStorageAccount } = args.getConfig<{ requireJobStorageAccount: boolean }>();
    // contentStoragePolicy absent = SystemAccount (Microsoft-managed storage).
    const own = sameText(props.contentStoragePolicy, "JobStorageAccount");
    if (requireJobStorageAccount && !own) {
      report(
        `${who(args)} stores job content in a system account: set contentStoragePolicy to "JobStorageAccount" with jobStorageAccount.`,
      );
    }
    const storageAccount = props.jobStorageAccount;
    if (own && storageAccount === undefined) {
      report(`${who(args)} uses JobStorageAccount without jobStorageAccount: set jobStorageAccount.accountName.`);
    }
    if (storageAccount !== undefined) {
      // authenticationMode absent = ConnectionString (account key).
      if (!sameText(storageAccount.authenticationMode, "Msi") || isSet(storageAccount, "accountKey")) {
        report(
          `${who(args)} reaches its job storage with a key: set jobStorageAccount.authenticationMode to "Msi" and remove jobStorageAccount.accountKey.`,
        );
      }
    }
  },
);

/** Data source `type`s whose `authenticationMode` defaults to ConnectionString and accepts Msi (API 2020-03-01). */
const MSI_DATASOURCE_TYPES = [
  "Microsoft.Storage/Blob",
  "Microsoft.ServiceBus/EventHub",
  "Microsoft.EventHub/EventHub",
  "Microsoft.ServiceBus/Queue",
  "Microsoft.ServiceBus/Topic",
  "Microsoft.DataLake/Accounts",
  "PowerBI",
];
/** Fields that carry a shared key or password in a data source. */
const SECRET_FIELDS = ["sharedAccessPolicyKey", "accountKey", "password", "apiKey"];

/** The violation for one data source, or undefined when it uses the managed identity and no stored secret. */
function datasourceProblem(ds: Record<string, unknown> | undefined): string | undefined {
  if (!ds) return undefined;
  const type = String(ds["type"]);
  const secrets = SECRET_FIELDS.filter((f) => isSet(ds, f));
  const accounts = (ds["storageAccounts"] as Record<string, unknown>[] | undefined) ?? [];
  if (accounts.some((a) => isSet(a, "accountKey"))) secrets.push("storageAccounts[].accountKey");
  if (secrets.length > 0)
    return `'${type}' data source stores ${secrets.join(", ")}: remove it and set authenticationMode to "Msi"`;
  const mode = ds["authenticationMode"];
  if (mode !== undefined ? !sameText(mode, "Msi") : oneOf(type, MSI_DATASOURCE_TYPES)) {
    return `'${type}' data source authenticates with '${mode ?? "ConnectionString (default)"}': set authenticationMode to "Msi"`;
  }
  return undefined;
}

export const asaDatasourceAuth = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-streamanalytics-inputoutput-require-managed-identity-auth",
    description:
      "Stream Analytics inputs and outputs (standalone or inline in the job) authenticate with the job's managed identity and store no keys or passwords.",
    severity: "high",
    pci: ["8.3.1", "8.6.2", "8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'On every data source set `authenticationMode: "Msi"` and remove `sharedAccessPolicyKey`/`accountKey`/`password`/`apiKey`; a sink type that only takes a password (the 2020-03-01 Synapse output) needs an exemption with a reason, or the SQL output type with Msi.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  [ASA_JOB, ASA_INPUT, ASA_OUTPUT],
  (props, args, report) => {
    const found: { where: string; ds: Record<string, unknown> | undefined }[] = [];
    if (args.type === ASA_INPUT) {
      found.push({ where: "properties.datasource", ds: objectAt(props["properties"], "datasource") });
    } else if (args.type === ASA_OUTPUT) {
      found.push({ where: "datasource", ds: props["datasource"] as Record<string, unknown> | undefined });
    } else {
      const job = props as unknown as Props<streamanalytics.StreamingJobArgs>;
      (job.inputs ?? []).forEach((i, n) =>
        found.push({ where: `inputs[${i.name ?? n}].properties.datasource`, ds: objectAt(i.properties, "datasource") }),
      );
      (job.outputs ?? []).forEach((o, n) =>
        found.push({
          where: `outputs[${o.name ?? n}].datasource`,
          ds: o.datasource as Record<string, unknown> | undefined,
        }),
      );
      if (found.length === 0) args.notApplicable("the job declares no inline inputs or outputs");
    }
    for (const { where, ds } of found) {
      const problem = datasourceProblem(ds);
      if (problem) report(`${who(args)} ${where}: ${problem}.`);
    }
  },
);

/** `obj[key]` when it is an object (reads through the unknown-checking proxy: an unknown value throws). */
function objectAt(obj: unknown, key: string): Record<string, unknown> | undefined {
  const v = obj === null || typeof obj !== "object" ? undefined : (obj as Record<string, unknown>)[key];
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// App Service / Functions
// ---------------------------------------------------------------------------------------------------------------

type WebProps = Props<web.WebAppArgs>;

function webRule(
  meta: Parameters<typeof resourcePolicy>[0],
  check: (props: WebProps, args: ResourceValidationArgs, report: ReportViolation) => void,
) {
  return resourcePolicy<web.WebAppArgs>(meta, [WEB_APP, WEB_APP_SLOT], check);
}

export const webHttpsOnly = webRule(
  {
    name: "azure-native-web-webapp-require-https-only",
    description: "Web and function apps redirect HTTP to HTTPS (HTTPS only).",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "web",
    remediationSteps: "Set `httpsOnly: true`.",
    url: "https://learn.microsoft.com/azure/app-service/configure-ssl-bindings#enforce-https",
  },
  (props, args, report) => {
    // Absent = false (HTTP served).
    if (props.httpsOnly !== true) report(`${who(args)} serves plain HTTP: set httpsOnly to true.`);
  },
);

export const webTls = webRule(
  {
    name: "azure-native-web-webapp-enforce-minimum-tls-version",
    description: "Web and function apps (and their SCM/Kudu site) refuse TLS versions older than 1.2.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "web",
    remediationSteps: 'Set `siteConfig.minTlsVersion: "1.2"` and `siteConfig.scmMinTlsVersion: "1.2"` (or "1.3").',
    url: "https://learn.microsoft.com/azure/app-service/configure-ssl-bindings#enforce-tls-versions",
  },
  (props, args, report) => {
    // Absent: today's platform default is 1.2, but it has changed before and an explicit value is the evidence;
    // require both.
    for (const key of ["minTlsVersion", "scmMinTlsVersion"] as const) {
      const v = props.siteConfig?.[key];
      if (!oneOf(v, ["1.2", "1.3"])) {
        report(`${who(args)} siteConfig.${key} is '${v ?? "unset"}': set siteConfig.${key} to "1.2".`);
      }
    }
  },
);

export const webFtp = webRule(
  {
    name: "azure-native-web-webapp-disable-ftp",
    description:
      "Web and function apps disable FTP and FTPS deployment; Flex Consumption apps, which have no FTP, leave ftpsState unset (Flex does not support it).",
    severity: "high",
    pci: ["2.2.4", "4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "web",
    remediationSteps:
      'Set `siteConfig.ftpsState: "Disabled"` (deploy with zip deploy/run-from-package over Entra-authenticated SCM); on a Flex Consumption app (`functionAppConfig`), remove `siteConfig.ftpsState`.',
    url: "https://learn.microsoft.com/azure/app-service/deploy-ftp#enforce-ftps",
  },
  (props, args, report) => {
    // Flex Consumption has no FTP at all, and lists `ftpsState` among the properties not to use when creating its
    // apps ("FTPS not supported": azure-docs articles/azure-functions/flex-consumption-plan.md, "Deprecated
    // properties and settings"); newer regions reject it.
    if (props.functionAppConfig !== undefined) {
      if (props.siteConfig?.ftpsState !== undefined)
        report(
          `${who(args)} is a Flex Consumption app and sets siteConfig.ftpsState, which Flex does not support: remove it (Flex has no FTP).`,
        );
      return;
    }
    // Absent: the platform default has been AllAllowed (plain FTP) for ARM-created apps; require "Disabled".
    const state = props.siteConfig?.ftpsState;
    if (!sameText(state, "Disabled")) {
      report(`${who(args)} allows FTP ('${state ?? "unset"}'): set siteConfig.ftpsState to "Disabled".`);
    }
  },
);

export const webPublicAccess = webRule(
  {
    name: "azure-native-web-webapp-disallow-public-network-access",
    description:
      "Web and function apps are not reachable from the public internet; they are reached through private endpoints (the App Gateway for public APIs).",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "web",
    remediationSteps: 'Set `publicNetworkAccess: "Disabled"` and add a private endpoint with group id `sites`.',
    url: "https://learn.microsoft.com/azure/app-service/overview-private-endpoint",
  },
  (props, args, report) => {
    // Absent (or "") = Enabled. The site-level property wins when set; siteConfig.publicNetworkAccess counts only
    // when the site-level one is absent.
    const site = props.publicNetworkAccess;
    const effective = typeof site === "string" && site !== "" ? site : props.siteConfig?.publicNetworkAccess;
    if (!sameText(effective, "Disabled")) {
      report(`${who(args)} is publicly reachable: set publicNetworkAccess to "Disabled".`);
    }
  },
);

export const webVnet = webRule(
  {
    name: "azure-native-web-webapp-require-vnet-integration",
    description:
      "Web and function apps send their outbound traffic through a virtual network (VNet integration with all application traffic routed), so egress is filtered by NSGs and the firewall.",
    severity: "medium",
    pci: ["1.3.2", "1.4.1"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.6"],
    service: "web",
    remediationSteps:
      "Set `virtualNetworkSubnetId` to a delegated subnet and `outboundVnetRouting: { applicationTraffic: true }` (or `allTraffic`, or the older `siteConfig.vnetRouteAllEnabled: true`).",
    url: "https://learn.microsoft.com/azure/app-service/overview-vnet-integration",
  },
  (props, args, report) => {
    // virtualNetworkSubnetId absent = no VNet integration (an unknown subnet id counts as set).
    if (!isSet(props, "virtualNetworkSubnetId")) {
      report(`${who(args)} has no VNet integration: set virtualNetworkSubnetId.`);
      return;
    }
    // Routing flags absent = only RFC 1918 traffic goes through the VNet.
    const routed =
      props.outboundVnetRouting?.applicationTraffic === true ||
      props.outboundVnetRouting?.allTraffic === true ||
      props.siteConfig?.vnetRouteAllEnabled === true;
    if (!routed) {
      report(
        `${who(args)} sends internet-bound traffic around the VNet: set outboundVnetRouting.applicationTraffic to true.`,
      );
    }
  },
);

export const webIdentity = webRule(
  {
    name: "azure-native-web-webapp-require-managed-identity",
    description:
      "Web and function apps have a managed identity, used for Key Vault references, storage, Event Hubs and SQL instead of keys and connection strings.",
    severity: "medium",
    pci: ["8.2.2", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "web",
    remediationSteps: 'Set `identity: { type: "UserAssigned", userAssignedIdentities: [<id>] }` (or SystemAssigned).',
    url: "https://learn.microsoft.com/azure/app-service/overview-managed-identity",
  },
  (props, args, report) => {
    // identity absent = none.
    const type = props.identity?.type;
    if (type === undefined || sameText(type, "None")) {
      report(`${who(args)} has no managed identity: set identity.type to "UserAssigned" or "SystemAssigned".`);
    }
  },
);

export const webBasicAuth = resourcePolicy<web.WebAppFtpAllowedArgs>(
  {
    name: "azure-native-web-basicpublishingcredentialspolicy-disable-basic-auth",
    description:
      "Basic-authentication publishing credentials are disabled for FTP and for the SCM (Kudu) site of web and function apps and of their deployment slots.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "2.2.7"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "web",
    remediationSteps:
      "Set `allow: false` on `web.WebAppFtpAllowed` and `web.WebAppScmAllowed` (`web.WebAppFtpAllowedSlot` and `web.WebAppScmAllowedSlot` for a deployment slot).",
    url: "https://learn.microsoft.com/azure/app-service/configure-basic-auth-disable",
  },
  [FTP_ALLOWED, SCM_ALLOWED, FTP_ALLOWED_SLOT, SCM_ALLOWED_SLOT],
  (props, args, report) => {
    // `allow` is required by the API; anything but false keeps basic auth.
    if (props.allow !== false) {
      report(`${who(args)} allows basic-auth publishing credentials: set allow to false.`);
    }
  },
);

/**
 * Whether a WebAppFtpAllowed / WebAppScmAllowed resource is `app`'s: once deployed, its id is the app's id plus
 * `/basicPublishingCredentialsPolicies/ftp` (or `scm`), and its `name` output is just "ftp"/"scm"; before, its `name`
 * input names the app (the app's name output wired in, or the same name). A policy that merely depends on the app
 * (e.g. dependsOn, to sequence writes) but is another app's does not count.
 */
function basicAuthPolicyOf(policy: PolicyResource, app: PolicyResource, type: string): boolean {
  const id = safeGet(policy.props, "id");
  const appId = safeGet(app.props, "id");
  const endpoint = type === FTP_ALLOWED || type === FTP_ALLOWED_SLOT ? "ftp" : "scm";
  if (typeof id === "string" && typeof appId === "string" && appId.length > 0) {
    return sameText(id, `${appId}/basicPublishingCredentialsPolicies/${endpoint}`);
  }
  if (type === FTP_ALLOWED_SLOT || type === SCM_ALLOWED_SLOT) {
    // A slot's policy names its app (`name`) and the slot (`slot`): both must be the slot's, wired or literal.
    const same = (key: string) => {
      const [mine, theirs] = [safeGet(policy.props, key), safeGet(app.props, key)];
      return typeof mine === "string" && typeof theirs === "string"
        ? sameText(mine, theirs)
        : refersTo(policy, app, { properties: [key] });
    };
    return same("name") && same("slot");
  }
  return refersTo(policy, app, { properties: ["name"], byName: {} });
}

export const webBasicAuthCoverage = stackPolicy(
  {
    name: "azure-native-web-webapp-missing-basic-auth-policies",
    description:
      "Every web or function app has WebAppFtpAllowed and WebAppScmAllowed resources with allow false, and every deployment slot WebAppFtpAllowedSlot and WebAppScmAllowedSlot ones, since basic-auth publishing is on unless they exist.",
    severity: "high",
    pci: ["8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "web",
    remediationSteps:
      "For each `web.WebApp`, add `web.WebAppFtpAllowed` and `web.WebAppScmAllowed` with `name: app.name`, the app's resource group and `allow: false`; for each `web.WebAppSlot`, `web.WebAppFtpAllowedSlot` and `web.WebAppScmAllowedSlot` with the slot's `name` and `slot` as well.",
    url: "https://learn.microsoft.com/azure/app-service/configure-basic-auth-disable",
  },
  (args, report) => {
    const apps = ofType(args.resources, WEB_APP);
    const slots = ofType(args.resources, WEB_APP_SLOT);
    if (apps.length === 0 && slots.length === 0) args.notApplicable("no web apps");
    const disabled = (type: string) => ofType(args.resources, type).filter((p) => safeGet(p.props, "allow") === false);
    for (const [app, types] of [
      ...apps.map((a) => [a, [FTP_ALLOWED, SCM_ALLOWED]] as const),
      ...slots.map((s) => [s, [FTP_ALLOWED_SLOT, SCM_ALLOWED_SLOT]] as const),
    ]) {
      for (const type of types) {
        const found = disabled(type).some((p) => basicAuthPolicyOf(p, app, type));
        if (!found) {
          report(
            `${app.name} (${app.urn}) has no ${type.split(":")[2]} with allow false: add one with name set from the app's name${type === FTP_ALLOWED_SLOT || type === SCM_ALLOWED_SLOT ? " and slot from the slot's" : ""}.`,
            app.urn,
          );
        }
      }
    }
  },
);

/**
 * App setting values that carry a shared key, a SAS key or a password (a connection string with a secret), or a SAS
 * URL (`sig=`, e.g. a WEBSITE_RUN_FROM_PACKAGE blob URL with its token).
 */
const SECRET_SETTING = /(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=|[?&]sig=/i;
/** (name, value) pairs of a site's settings and connection strings, whichever resource declares them. */
function siteSettings(type: string, props: Record<string, unknown>): [string, unknown][] {
  const pairs = (list: unknown, valueKey: string): [string, unknown][] =>
    Array.isArray(list)
      ? list.map((e) => [String(safeGet(e, "name") ?? "?"), safeGet(e, valueKey)] as [string, unknown])
      : [];
  if (type === WEB_APP || type === WEB_APP_SLOT) {
    const siteConfig = safeGet(props, "siteConfig");
    return [
      ...pairs(safeGet(siteConfig, "appSettings"), "value"),
      ...pairs(safeGet(siteConfig, "connectionStrings"), "connectionString"),
    ];
  }
  const entries = (safeGet(props, "properties") ?? {}) as Record<string, unknown>;
  return Object.keys(entries).map((k) => {
    const v = safeGet(entries, k);
    // WebAppConnectionStrings: { <name>: { value, type } }; WebAppApplicationSettings: { <name>: value }.
    return [k, type.startsWith("azure-native:web:WebAppConnectionStrings") ? safeGet(v, "value") : v];
  });
}

/**
 * For `webSettingsNoSecrets`: reads every setting `siteSettings` would return through the unknown-checking proxy, so a
 * list, a name or a value unknown during preview (a connection string built from another resource's outputs) makes
 * the rule undecided ("can't run … during preview") instead of being dropped and counted as passed.
 */
function requireKnownSettings(type: string, props: Record<string, unknown>): void {
  const list = (obj: unknown, key: string, valueKey: string) => {
    if (presence(obj, key) === "unknown") requireKnown(obj, key);
    const entries = safeGet(obj, key);
    if (!Array.isArray(entries)) return;
    for (let i = 0; i < entries.length; i++) {
      for (const k of ["name", valueKey]) {
        if (presence(entries, String(i), k) === "unknown") requireKnown(entries, String(i), k);
      }
    }
  };
  if (type === WEB_APP || type === WEB_APP_SLOT) {
    if (presence(props, "siteConfig") === "unknown") requireKnown(props, "siteConfig");
    const siteConfig = safeGet(props, "siteConfig");
    list(siteConfig, "appSettings", "value");
    list(siteConfig, "connectionStrings", "connectionString");
    return;
  }
  if (presence(props, "properties") === "unknown") requireKnown(props, "properties");
  const entries = safeGet(props, "properties");
  if (entries === null || typeof entries !== "object") return;
  const path = type.startsWith("azure-native:web:WebAppConnectionStrings") ? ["value"] : [];
  for (const k of Object.keys(entries)) {
    if (presence(entries, k, ...path) === "unknown") requireKnown(entries, k, ...path);
  }
}

export const webSettingsNoSecrets = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-web-webappapplicationsettings-disallow-secrets",
    description:
      "Web and function app settings and connection strings hold no keys or passwords and turn off no SQL encryption or certificate validation (Encrypt=False, TrustServerCertificate=True), whether declared as the app's settings resource, its connection strings resource or in the site's own `siteConfig`, and the site mounts no storage with an account key (in its `siteConfig` or a WebAppAzureStorageAccounts resource; App Service mounts take only keys, so no mounts at all): connections are identity-based (`<Connection>__fullyQualifiedNamespace`, `__accountEndpoint`, `__credential`), secrets come from Key Vault references.",
    severity: "high",
    pci: ["8.3.2", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "web",
    remediationSteps:
      'Replace connection strings with identity-based settings (e.g. `EventHubs__fullyQualifiedNamespace`, `EventHubs__credential: "managedidentity"`) and grant the app\'s identity a data-plane role; a secret that must stay goes to Key Vault as `@Microsoft.KeyVault(SecretUri=...)`.',
    url: "https://learn.microsoft.com/azure/azure-functions/functions-reference#configure-an-identity-based-connection",
  },
  [...SETTINGS_TYPES, WEB_APP, WEB_APP_SLOT, ...STORAGE_MOUNTS],
  (props, args, report) => {
    // An Azure Files or Blob mount carries the account key itself (AzureStorageInfoValue.accessKey), and App Service
    // mounts take nothing else: in effect, no mounts (whether in the site's config or its own resource).
    // A map unknown during preview (built from listKeys with `apply`) is not "no mounts".
    if (STORAGE_MOUNTS.includes(args.type) && presence(props, "properties") === "unknown")
      requireKnown(props, "properties");
    const mountsAt = STORAGE_MOUNTS.includes(args.type) ? "properties" : "siteConfig.azureStorageAccounts";
    const mounts = STORAGE_MOUNTS.includes(args.type)
      ? safeGet(props, "properties")
      : args.type === WEB_APP || args.type === WEB_APP_SLOT
        ? safeGet(safeGet(props, "siteConfig"), "azureStorageAccounts")
        : undefined;
    const keyed =
      mounts !== null && typeof mounts === "object"
        ? Object.keys(mounts).filter((k) => presence(mounts, k, "accessKey") !== "absent")
        : [];
    if (keyed.length > 0) {
      report(
        `${who(args)} mounts storage with an account key (${mountsAt} ${keyed.join(", ")}.accessKey): mount nothing with a key; read the data with the app's identity.`,
      );
    }
    if (STORAGE_MOUNTS.includes(args.type)) return;
    // A value that is a Key Vault reference is fine; otherwise a secret-looking value, or a set value under a
    // secret-looking name, is not. Values computed from other resources are unknown during a first preview (client
    // ids, endpoints, a connection string): after reporting what the known values show, the rule is then undecided
    // (checked at `pulumi up`, or by `npm run analyze` on an export), never passed on values it did not see.
    const leaking = siteSettings(args.type, props)
      .filter(([name, v]) => {
        if (typeof v !== "string" || v === "" || v.startsWith("@Microsoft.KeyVault(")) return false;
        return SECRET_SETTING.test(v) || secretName(name);
      })
      .map(([name]) => name)
      .sort();
    if (leaking.length > 0) {
      report(
        `${who(args)} stores keys or passwords in ${leaking.join(", ")}: use identity-based settings or Key Vault references.`,
      );
    }
    // A SQL connection that skips encryption or the server certificate's validation, as the Data Factory rule refuses.
    const weak = siteSettings(args.type, props).flatMap(([name, v]) =>
      typeof v === "string" ? sqlConnectionWeaknesses(v).map((w) => `${name} ${w}`) : [],
    );
    if (weak.length > 0) {
      report(
        `${who(args)} allows an unencrypted or unverified SQL connection (${weak.join(", ")}): use Encrypt=True and TrustServerCertificate=False.`,
      );
    }
    requireKnownSettings(args.type, props);
  },
);

const GENERIC = "azure-native:resources:Resource";

export const asaGenericJob = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-resources-resource-streamanalytics-require-managed-identity",
    description:
      "Stream Analytics jobs declared as generic resources (a newer API version than the typed class, e.g. for a managed-identity Synapse output) have a managed identity, keep their content in their own job storage reached with it, and authenticate every input and output with it.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'On the `resources.Resource` (resourceType "streamingjobs"): set `identity: { type: "SystemAssigned" }`, `properties.contentStoragePolicy: "JobStorageAccount"` with `properties.jobStorageAccount.authenticationMode: "Msi"`, and `authenticationMode: "Msi"` on every `properties.inputs[].properties.datasource.properties` and `properties.outputs[].properties.datasource.properties`, with no keys or passwords.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  GENERIC,
  (props, args, report) => {
    const ns = String(props["resourceProviderNamespace"] ?? "");
    const type = String(props["resourceType"] ?? "");
    if (!sameText(ns, "Microsoft.StreamAnalytics") || !sameText(type, "streamingjobs")) {
      args.notApplicable("not a Stream Analytics job");
    }
    const identity = objectAt(props, "identity");
    const idType = identity?.["type"];
    if (typeof idType !== "string" || !/SystemAssigned|UserAssigned/i.test(idType)) {
      report(`${who(args)} has no managed identity: set identity.type to "SystemAssigned".`);
    }
    const body = objectAt(props, "properties") ?? {};
    const storage = objectAt(body, "jobStorageAccount");
    if (!sameText(body["contentStoragePolicy"], "JobStorageAccount") || !storage) {
      report(
        `${who(args)} keeps job content in a system account: set properties.contentStoragePolicy to "JobStorageAccount" with properties.jobStorageAccount.`,
      );
    } else if (!sameText(storage["authenticationMode"], "Msi") || isSet(storage, "accountKey")) {
      report(
        `${who(args)} reaches its job storage with a key: set properties.jobStorageAccount.authenticationMode to "Msi".`,
      );
    }
    for (const side of ["inputs", "outputs"] as const) {
      const list = (body[side] as Record<string, unknown>[] | undefined) ?? [];
      list.forEach((item, n) => {
        const ds = objectAt(objectAt(item, "properties"), "datasource");
        // Generic bodies are the REST shape: the data source's settings are under `properties`. Only what the check
        // reads is taken (names and ids there are often unknown during preview; a secret field counts when set).
        const inner = objectAt(ds, "properties");
        const flat: Record<string, unknown> | undefined = ds
          ? { type: safeGet(ds, "type"), authenticationMode: safeGet(inner, "authenticationMode") }
          : undefined;
        for (const f of SECRET_FIELDS) if (flat && inner && isSet(inner, f)) flat[f] = "(set)";
        const problem = datasourceProblem(flat);
        if (problem) report(`${who(args)} properties.${side}[${String(item["name"] ?? n)}]: ${problem}.`);
      });
    }
  },
);

export const streamingPolicies: Policies = [
  eventHubLocalAuth,
  eventHubNetwork,
  eventHubTls,
  eventHubCmk,
  eventHubRetention,
  asaIdentity,
  asaJobStorage,
  asaDatasourceAuth,
  webHttpsOnly,
  webTls,
  webFtp,
  webPublicAccess,
  webVnet,
  webIdentity,
  webBasicAuth,
  webBasicAuthCoverage,
  webSettingsNoSecrets,
  asaGenericJob,
];
