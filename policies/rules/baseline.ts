/**
 * The posture's three switches that most Azure services share, read on every azure-native type that takes them
 * (the SDK's inputs, at the top or one level down, and the types listed here): public network access, local (key,
 * SAS, password) authentication and the minimum TLS version. The pack's other rules are written
 * per type; these are the baseline a newly reviewed service gets before its own rules exist (a red-team review passed
 * a public Service Bus namespace, a keyed Redis cache and a TLS 1.0 Event Grid topic through every rule). A type whose
 * own rule reads the switch (with its accepted exceptions: a vault reached by trusted services) is left to that rule.
 * An unset switch is judged by the SDK: a type whose inputs take it (policies/lib/sdkSwitches.ts) and leaves it unset
 * gets Azure's default, the open one.
 */
import type { Policies } from "@pulumi/policy";
import { resourcePolicy } from "../lib/policy";
import { SDK_SWITCHES } from "../lib/sdkSwitches";
import { typeIn } from "../lib/typeToken";
import { presence, requireKnown, sameText, valueAt, who } from "../lib/values";

/** `types`, unique and sorted, without those of `own` (a type its own rule reads is that rule's). */
const besides = (own: readonly string[], ...types: (readonly string[])[]) =>
  [...new Set(types.flat())].filter((t) => !own.includes(t)).sort();

/** Types whose own `*-disallow-public-network-access` rule reads their network access (a test keeps this complete). */
export const OWN_NETWORK_RULE = [
  "azure-native:applicationinsights:Component",
  "azure-native:containerregistry:Registry",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:datafactory:Factory",
  "azure-native:eventhub:Namespace",
  "azure-native:eventhub:NamespaceNetworkRuleSet",
  "azure-native:keyvault:ManagedHsm",
  "azure-native:keyvault:Vault",
  "azure-native:machinelearningservices:OnlineEndpoint",
  "azure-native:machinelearningservices:Workspace",
  "azure-native:operationalinsights:Workspace",
  "azure-native:sql:Server",
  "azure-native:storage:StorageAccount",
  "azure-native:synapse:Workspace",
  "azure-native:web:WebApp",
  "azure-native:web:WebAppSlot",
];

/** Types whose own `*-disable-local-auth` (or shared key) rule reads their local authentication. */
export const OWN_LOCAL_AUTH_RULE = [
  "azure-native:applicationinsights:Component",
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:eventhub:Namespace",
  "azure-native:machinelearningservices:Compute",
  "azure-native:operationalinsights:Workspace",
  "azure-native:storage:StorageAccount",
];

/** Types whose own `*-tls-*` rule reads their minimum TLS version. */
export const OWN_TLS_RULE = [
  "azure-native:cosmosdb:DatabaseAccount",
  "azure-native:eventhub:Namespace",
  "azure-native:network:ApplicationGateway",
  "azure-native:sql:Server",
  "azure-native:storage:StorageAccount",
  "azure-native:web:WebApp",
  "azure-native:web:WebAppSlot",
];

/** Where services put the switch: at the top, under `properties` (Cognitive Services), under `network` (PostgreSQL). */
const NETWORK_PATHS: readonly (readonly string[])[] = [
  ["publicNetworkAccess"],
  ["properties", "publicNetworkAccess"],
  ["network", "publicNetworkAccess"],
];

/**
 * Where a nested switch lives (its parent input's name), by type: a parent unknown during preview (an alert
 * processing rule's `properties`, built from other outputs) is read for the switch only on these types; elsewhere it
 * would make every rule undecided on a resource that has no such switch at all.
 */
const NESTED_SWITCH_TYPES: Readonly<Record<string, readonly string[]>> = {
  "properties.publicNetworkAccess": SDK_SWITCHES.publicNetworkAccessInProperties,
  "network.publicNetworkAccess": SDK_SWITCHES.publicNetworkAccessInNetwork,
  "properties.disableLocalAuth": SDK_SWITCHES.disableLocalAuthInProperties,
  "authConfig.passwordAuth": SDK_SWITCHES.passwordAuthInAuthConfig,
};

/** The paths of `paths` the resource sets (or may set, when unknown during preview). */
function setPaths(
  type: string,
  props: Record<string, unknown>,
  paths: readonly (readonly string[])[],
): (readonly string[])[] {
  return paths.filter((p) =>
    p.length > 1 && presence(props, p[0]) === "unknown"
      ? typeIn(NESTED_SWITCH_TYPES[p.join(".")] ?? [], type)
      : presence(props, ...p) !== "absent",
  );
}

/**
 * A deployment with no public data plane that cannot, or need not, say `Disabled`: API Management in a VNet in
 * internal mode (`publicNetworkAccess` is for its private endpoint mode only), a Container Apps environment on an
 * internal VNet, a private AKS cluster, a PostgreSQL or MySQL server injected in a subnet (private access: no public
 * endpoint at all), a disk or snapshot that refuses export except through a private link (`networkAccessPolicy`).
 */
function privateOtherwise(type: string, props: Record<string, unknown>): boolean {
  switch (type) {
    case "azure-native:apimanagement:ApiManagementService":
      return sameText(props["virtualNetworkType"], "Internal");
    case "azure-native:app:ManagedEnvironment":
      return valueAt(props, "vnetConfiguration", "internal") === true;
    case "azure-native:containerservice:ManagedCluster":
      return valueAt(props, "apiServerAccessProfile", "enablePrivateCluster") === true;
    case "azure-native:dbforpostgresql:Server":
    case "azure-native:dbformysql:Server":
      return presence(props, "network", "delegatedSubnetResourceId") !== "absent";
    case "azure-native:compute:Disk":
    case "azure-native:compute:Snapshot":
      return ["DenyAll", "AllowPrivate"].some((v) => sameText(props["networkAccessPolicy"], v));
    default:
      return false;
  }
}

/** Whether a switch's value closes public access: "Disabled", or `false` where the input is a boolean (Automation). */
const closed = (value: unknown) => sameText(value, "Disabled") || value === false;

/**
 * Types whose public access is open when the switch is unset, beside the SDK's top-level `publicNetworkAccess` types:
 * those that keep it one level down (Cognitive Services' `properties`, PostgreSQL's and MySQL's `network`).
 */
const OPEN_WHEN_UNSET = [...SDK_SWITCHES.publicNetworkAccessInProperties, ...SDK_SWITCHES.publicNetworkAccessInNetwork];

/** SDK types whose unset switch is closed (Cloud HSM takes only `Disabled`). */
const CLOSED_WHEN_UNSET = ["azure-native:hardwaresecuritymodules:CloudHsmCluster"];

/** The types the network rule runs on: every other type has no such switch (not applicable, without a call). */
const PRIVATE_OTHERWISE_TYPES = [
  "azure-native:apimanagement:ApiManagementService",
  "azure-native:app:ManagedEnvironment",
  "azure-native:compute:Disk",
  "azure-native:compute:Snapshot",
  "azure-native:containerservice:ManagedCluster",
  "azure-native:dbformysql:Server",
  "azure-native:dbforpostgresql:Server",
];
export const NETWORK_SWITCH_TYPES = besides(
  OWN_NETWORK_RULE,
  SDK_SWITCHES.publicNetworkAccess,
  OPEN_WHEN_UNSET,
  PRIVATE_OTHERWISE_TYPES,
  Object.values(NESTED_SWITCH_TYPES).flat(),
);

export const baselinePublicNetwork = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-disallow-public-network-access",
    description:
      "Every Azure resource that takes a `publicNetworkAccess` switch (at its top, under `properties` or `network`) sets it to Disabled, so its data plane is reached through a private endpoint only; left unset, Azure's default is Enabled. Types with their own network rule are judged by it.",
    severity: "high",
    pci: ["1.3.1", "1.4.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "general",
    remediationSteps:
      'Set `publicNetworkAccess: "Disabled"` and add a private endpoint (components/shared `privateEndpoint()`); API Management goes into a VNet in internal mode (`virtualNetworkType: "Internal"`).',
    url: "https://learn.microsoft.com/azure/private-link/private-link-overview",
  },
  NETWORK_SWITCH_TYPES,
  (props, args, report) => {
    if (typeIn(OWN_NETWORK_RULE, args.type)) args.notApplicable("its own rule reads its network access");
    const set = setPaths(args.type, props, NETWORK_PATHS);
    if (set.length === 0) {
      if (!typeIn([...SDK_SWITCHES.publicNetworkAccess, ...OPEN_WHEN_UNSET], args.type))
        args.notApplicable("it takes no publicNetworkAccess");
      if (!privateOtherwise(args.type, props) && !typeIn(CLOSED_WHEN_UNSET, args.type))
        report(
          `${who(args)} leaves publicNetworkAccess unset, and Azure's default is Enabled: set it to "Disabled" and reach the service through a private endpoint.`,
        );
      return;
    }
    for (const p of set) {
      if (presence(props, ...p) === "unknown") requireKnown(props, ...p);
      const value = valueAt(props, ...p);
      if (!closed(value) && !privateOtherwise(args.type, props))
        report(
          `${who(args)} sets ${p.join(".")} to '${String(value)}': set it to "Disabled" and reach the service through a private endpoint.`,
        );
    }
  },
);

/** Local-authentication switches: the input path, whether its value keeps keys off, and what to set. */
const LOCAL_AUTH: readonly (readonly [readonly string[], (v: unknown) => boolean, string])[] = [
  [["disableLocalAuth"], (v) => v === true, "true"],
  [["properties", "disableLocalAuth"], (v) => v === true, "true"],
  [["disableAadAuth"], (v) => v !== true, "false"],
  [["disableAccessKeyAuthentication"], (v) => v === true, "true"],
  [["accessKeysAuthentication"], (v) => sameText(v, "Disabled"), '"Disabled"'],
  [["authConfig", "passwordAuth"], (v) => sameText(v, "Disabled"), '"Disabled"'],
  [["disableLocalAccounts"], (v) => v === true, "true"],
  [
    ["allowedAuthenticationModes"],
    (v) => Array.isArray(v) && !v.some((m) => sameText(m, "SharedKey")),
    "a list without SharedKey",
  ],
];

/**
 * The switch that turns a type's keys off, where leaving it unset keeps them on: the SDK's `disableLocalAuth` types,
 * Redis (`disableAccessKeyAuthentication`), Managed Redis databases (`accessKeysAuthentication`), PostgreSQL flexible
 * servers (`authConfig.passwordAuth`), AKS (`disableLocalAccounts`), Batch (`allowedAuthenticationModes`) and
 * Cognitive Services accounts (`properties.disableLocalAuth`). Another switch being set (SignalR's `disableAadAuth`)
 * does not stand in for it.
 */
const KEY_SWITCH: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(SDK_SWITCHES.localAuth.map((t) => [t, ["disableLocalAuth"]])),
  ...Object.fromEntries(SDK_SWITCHES.disableLocalAuthInProperties.map((t) => [t, ["properties", "disableLocalAuth"]])),
  ...Object.fromEntries(SDK_SWITCHES.passwordAuthInAuthConfig.map((t) => [t, ["authConfig", "passwordAuth"]])),
  "azure-native:batch:BatchAccount": ["allowedAuthenticationModes"],
  "azure-native:cognitiveservices:Account": ["properties", "disableLocalAuth"],
  "azure-native:containerservice:ManagedCluster": ["disableLocalAccounts"],
  "azure-native:dbforpostgresql:Server": ["authConfig", "passwordAuth"],
  "azure-native:redis:Redis": ["disableAccessKeyAuthentication"],
  "azure-native:redisenterprise:Database": ["accessKeysAuthentication"],
};

/** The types the local-authentication rule runs on. */
export const LOCAL_AUTH_SWITCH_TYPES = besides(
  OWN_LOCAL_AUTH_RULE,
  SDK_SWITCHES.localAuthAny,
  Object.keys(KEY_SWITCH),
  Object.values(NESTED_SWITCH_TYPES).flat(),
);

export const baselineLocalAuth = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-disable-local-auth",
    description:
      "Every Azure resource that can authenticate with its own keys, SAS tokens, passwords or local accounts has them switched off (Microsoft Entra ID only); left unset, Azure's default keeps them on. Types with their own local-authentication rule are judged by it.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "general",
    remediationSteps:
      'Set the service\'s switch (`disableLocalAuth: true`, `disableAccessKeyAuthentication: true`, `accessKeysAuthentication: "Disabled"`, `authConfig.passwordAuth: "Disabled"`, `disableLocalAccounts: true`, `allowedAuthenticationModes` without SharedKey) and grant managed identities data-plane roles instead.',
    url: "https://learn.microsoft.com/azure/role-based-access-control/overview",
  },
  LOCAL_AUTH_SWITCH_TYPES,
  (props, args, report) => {
    if (typeIn(OWN_LOCAL_AUTH_RULE, args.type)) args.notApplicable("its own rule reads its local authentication");
    const paths = setPaths(
      args.type,
      props,
      LOCAL_AUTH.map(([p]) => p),
    );
    const set = LOCAL_AUTH.filter(([p]) => paths.includes(p));
    const key = KEY_SWITCH[args.type];
    if (set.length === 0 && !key) args.notApplicable("it takes no local-authentication switch");
    if (key && !paths.some((p) => p.join(".") === key.join(".")))
      report(
        `${who(args)} leaves ${key.join(".")} unset, and Azure's default keeps keys on: switch them off (Entra ID only).`,
      );
    for (const [p, keysOff, want] of set) {
      if (presence(props, ...p) === "unknown") requireKnown(props, ...p);
      const value = valueAt(props, ...p);
      if (!keysOff(value))
        report(
          `${who(args)} sets ${p.join(".")} to ${JSON.stringify(value)}, which keeps local keys or passwords on: set it to ${want}.`,
        );
    }
  },
);

/**
 * SDK types that take only TLS 1.2 or later whatever the input says (the SDK's own documentation: Event Grid
 * namespaces "Only TLS version 1.2 is supported"; Managed Redis "TLS 1.0 and TLS 1.1 are now completely obsolete --
 * you cannot use them"): left unset, nothing older is possible.
 */
const TLS_12_ONLY = ["azure-native:eventgrid:Namespace", "azure-native:redisenterprise:RedisEnterprise"];

const TLS_PATHS: readonly (readonly string[])[] = [
  ["minimumTlsVersion"],
  ["minimalTlsVersion"],
  ["minTlsVersion"],
  ["minimumTlsVersionAllowed"],
];

/** "1.2", "1.3", "TLS1_2", "Tls12", "TLS1_3": 1.2 or later, whichever spelling the service's enum uses. */
export function tls12OrLater(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const m = /^(?:tls\s*v?1[._]?|1[._])([0-9])$/i.exec(value.trim());
  return m !== null && Number(m[1]) >= 2;
}

/** The types the TLS rule runs on. */
export const TLS_SWITCH_TYPES = besides(OWN_TLS_RULE, SDK_SWITCHES.minimumTls, SDK_SWITCHES.plaintextPort);

export const baselineTls = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-general-resource-enforce-minimum-tls-version",
    description:
      "Every Azure resource that takes a minimum TLS version accepts TLS 1.2 or later only, and none opens a plaintext port (`enableNonSslPort`); left unset, Azure's default may be an older version. Types with their own TLS rule are judged by it.",
    severity: "high",
    pci: ["4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "general",
    remediationSteps:
      "Set the service's minimum TLS input (`minimumTlsVersion`, `minimalTlsVersion`, `minTlsVersion` or `minimumTlsVersionAllowed`) to \"1.2\" (or its enum's TLS 1.2 value) and leave `enableNonSslPort` false.",
    url: "https://learn.microsoft.com/azure/security/fundamentals/encryption-overview#encryption-of-data-in-transit",
  },
  TLS_SWITCH_TYPES,
  (props, args, report) => {
    if (typeIn(OWN_TLS_RULE, args.type)) args.notApplicable("its own rule reads its TLS version");
    if (presence(props, "enableNonSslPort") === "unknown") requireKnown(props, "enableNonSslPort");
    const plaintext = valueAt(props, "enableNonSslPort") === true;
    if (plaintext) report(`${who(args)} opens its plaintext port (enableNonSslPort): set it to false.`);
    const set = setPaths(args.type, props, TLS_PATHS);
    if (set.length === 0) {
      if (typeIn(TLS_12_ONLY, args.type)) return; // nothing older is possible
      if (!typeIn(SDK_SWITCHES.minimumTls, args.type)) {
        if (plaintext) return;
        args.notApplicable("it takes no minimum TLS version");
      }
      report(
        `${who(args)} leaves its minimum TLS version unset, so Azure's default applies: set it to TLS 1.2 or later.`,
      );
      return;
    }
    for (const p of set) {
      if (presence(props, ...p) === "unknown") requireKnown(props, ...p);
      const value = valueAt(props, ...p);
      if (!tls12OrLater(value))
        report(`${who(args)} sets ${p.join(".")} to '${String(value)}': set it to TLS 1.2 or later.`);
    }
  },
);

export const baselinePolicies: Policies = [baselinePublicNetwork, baselineLocalAuth, baselineTls];
