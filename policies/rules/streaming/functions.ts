/**
 * App Service and function apps (and their slots): HTTPS and TLS 1.2 only, no FTP or basic publishing credentials, no public network access, VNet integration, a managed identity, no secrets in app settings.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import type * as web from "@pulumi/azure-native/web";
import { ofType, refersTo, resourcePolicy, stackPolicy, type Props } from "../../lib/policy";
import { SETTINGS_TYPES } from "../secretOutputs";
import { sqlConnectionWeaknesses } from "../datafactory";
import { secretName } from "../../lib/secrets";
import { isSet, oneOf, presence, requireKnown, safeGet, sameText, who } from "../../lib/values";
import {
  WEB_APP,
  WEB_APP_SLOT,
  STORAGE_MOUNTS,
  FTP_ALLOWED,
  SCM_ALLOWED,
  FTP_ALLOWED_SLOT,
  SCM_ALLOWED_SLOT,
} from "./shared";

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
