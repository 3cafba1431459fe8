/**
 * The API gateway of the ingestion tier: Application Gateway WAF_v2 in the platform VNet's gateway subnet (zones 1-3,
 * autoscale), its WAF policy (Prevention, DRS 2.1 + Bot Manager 1.1), its public IP, the TLS certificate read from
 * the private Key Vault through its user-assigned identity (granted on that one secret, after RBAC propagation), the
 * HTTPS listener routed to the payment API's private endpoint (nothing listens on HTTP), and its diagnostics.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as network from "@pulumi/azure-native/network";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import { merchantAuthenticationOn, type IngestionConfig } from "../../lib/config";
import { publicIpDdosMode } from "../../lib/ddos";
import {
  afterCreationOnlyCheck,
  BuiltInRoles,
  deployedOrNone,
  deployer,
  diagnosticSetting,
  grantPropagation,
  lockFor,
  managementLock,
  readOrWarn,
  roleAssignment,
  type CreationOnlyConflict,
  type DiagnosticSettingsTarget,
  type ManagedIdentity,
  type StackContext,
  type Tags,
} from "../shared";

/** Seconds the gateway waits for the payment API (configuration-http-settings: default 20). */
export const GATEWAY_REQUEST_TIMEOUT_SECONDS = 35;
/** The managed rule sets of the WAF policy: Microsoft's Default Rule Set and the bot protection rule set. */
export const WAF_MANAGED_RULE_SETS = [
  { ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" },
  { ruleSetType: "Microsoft_BotManagerRuleSet", ruleSetVersion: "1.1" },
] as const;

/**
 * The payment API's public paths: its code registers these two routes and nothing else (pipelines/functions
 * `registerPaymentApi`, under the host's default `api` prefix; tests/ingestion.spec.ts holds the two together).
 */
export const PAYMENT_API_PUBLIC_PATHS = ["/api/payments", "/api/health"] as const;

/**
 * The WAF's custom rule refusing every other path before it reaches the Functions host, whose own endpoints
 * (`/admin/*`, `/runtime/webhooks/*`) then stay unreachable from the internet whatever key leaks. A regular
 * expression of whole paths (a trailing slash and a query allowed), matched after URL decoding and lower-casing, so
 * neither an encoded nor a `/api/payments/../../admin/…` path slips through a prefix match. Custom rules run before
 * the managed rule sets, and "matchValues ... can be thought of as being or'ed"; the condition is negated
 * (application-gateway/custom-waf-rules-overview).
 */
export function paymentApiPathRule(): types.input.network.WebApplicationFirewallCustomRuleArgs {
  // Plain paths (letters and slashes): nothing in them to escape.
  const paths = PAYMENT_API_PUBLIC_PATHS.join("|");
  return {
    name: "OnlyPaymentApiPaths",
    priority: 10,
    ruleType: network.WebApplicationFirewallRuleType.MatchRule,
    action: network.WebApplicationFirewallAction.Block,
    state: network.WebApplicationFirewallState.Enabled,
    matchConditions: [
      {
        matchVariables: [{ variableName: network.WebApplicationFirewallMatchVariable.RequestUri }],
        operator: network.WebApplicationFirewallOperator.Regex,
        negationConditon: true,
        matchValues: [`^(${paths})/?(\\?.*)?$`],
        transforms: [
          network.WebApplicationFirewallTransform.UrlDecode,
          network.WebApplicationFirewallTransform.Lowercase,
        ],
      },
    ],
  };
}

/**
 * What the WAF's logs blank out: by default a triggered rule logs "the details of the request in clear text", so a
 * merchant field holding a card number next to text a rule matches would land in AGWFirewallLogs ("that sensitive
 * data is viewable by anyone with access to the WAF logs", web-application-firewall/ag/waf-sensitive-data-protection).
 * Every request argument (query, form, JSON body), header and cookie value is scrubbed (`EqualsAny`); the rule, the
 * URI path, the client IP and the action stay, which is what triage needs. PCI DSS 3.3 and 3.4 (no PAN in logs).
 */
export const WAF_LOG_SCRUBBING_RULES = [
  network.ScrubbingRuleEntryMatchVariable.RequestJSONArgNames,
  network.ScrubbingRuleEntryMatchVariable.RequestArgNames,
  network.ScrubbingRuleEntryMatchVariable.RequestPostArgNames,
  network.ScrubbingRuleEntryMatchVariable.RequestHeaderNames,
  network.ScrubbingRuleEntryMatchVariable.RequestCookieNames,
].map((matchVariable) => ({
  matchVariable,
  selectorMatchOperator: network.ScrubbingRuleEntryMatchOperator.EqualsAny,
  state: network.ScrubbingRuleEntryState.Enabled,
}));

/** TLS policy of the listeners: TLS 1.2+ with ECDHE AES-GCM ciphers only (the 2022 "strict" predefined policy). */
export const GATEWAY_SSL_POLICY = network.ApplicationGatewaySslPolicyName.AppGwSslPolicy20220101S;

/** Built-in role that reads secret contents (the certificate's private key is served as a secret). */
export const KEY_VAULT_SECRETS_USER = BuiltInRoles.KeyVaultSecretsUser;

/** The app the gateway routes to, and the path its health probe calls (anonymous, no data access). */
export const HEALTH_PATH = "/api/health";

/**
 * The request headers the gateway sets from the TLS handshake's client certificate (Application Gateway's mutual
 * authentication server variables, learn.microsoft.com/azure/application-gateway/rewrite-http-headers-url), with
 * mutual TLS on. The rewrite sets them on every request to the API, over any value the client sent, and the private
 * endpoint subnet admits only the gateway and the deploy runners to the app (platform paymentApiEndpointRules), so
 * the app can trust them.
 */
export const MERCHANT_CERTIFICATE_HEADERS = {
  /** SUCCESS, FAILED:<reason> or NONE (no certificate presented). */
  verification: { header: "X-Client-Certificate-Verification", variable: "{var_client_certificate_verification}" },
  /** The certificate's subject DN, e.g. `CN=merchant-42,O=Contoso`. */
  subject: { header: "X-Client-Certificate-Subject", variable: "{var_client_certificate_subject}" },
} as const;

/** Name of the HTTPS listener's SSL profile when merchants authenticate with client certificates. */
export const MERCHANT_SSL_PROFILE = "merchant-mtls";
/** Name of the rewrite rule set that passes the client certificate to the app. */
export const MERCHANT_REWRITE_RULE_SET = "merchant-identity";

/**
 * The gateway's mutual TLS from config (pure): trusted client certificate authorities (`data` is the PEM file's
 * bytes in base64, what `az network application-gateway client-cert add --data <file>` sends) and the SSL profile
 * that asks every client for a certificate chaining to one of them, checks its issuer name and, with OCSP, that it
 * is not revoked. Undefined without authorities.
 */
export function merchantMutualTls(cfg: IngestionConfig):
  | {
      readonly trustedClientCertificates: { name: string; data: string }[];
      readonly clientAuthConfiguration: {
        verifyClientCertIssuerDN: boolean;
        verifyClientRevocation: network.ApplicationGatewayClientRevocationOptions;
      };
    }
  | undefined {
  if (!merchantAuthenticationOn(cfg)) return undefined;
  return {
    trustedClientCertificates: (cfg.gateway.merchantCertificateAuthorities ?? []).map((a) => ({
      name: a.name,
      data: Buffer.from(a.certificate.trim() + "\n").toString("base64"),
    })),
    clientAuthConfiguration: {
      verifyClientCertIssuerDN: true,
      verifyClientRevocation:
        cfg.gateway.merchantCertificateRevocation === "OCSP"
          ? network.ApplicationGatewayClientRevocationOptions.OCSP
          : network.ApplicationGatewayClientRevocationOptions.None,
    },
  };
}

/** Autoscale bounds of the gateway from config (validated there: max ≥ min, 0–125). */
export function gatewayAutoscale(cfg: IngestionConfig): { minCapacity: number; maxCapacity: number } {
  return { minCapacity: cfg.gateway.minInstances, maxCapacity: cfg.gateway.maxInstances };
}

/** The Key Vault secret id the listener's certificate is read from: versionless, so rotations are picked up. */
export function certificateSecretId(vaultUri: string, certificateName: string): string {
  return `${vaultUri.replace(/\/+$/, "")}/secrets/${certificateName}`;
}

/** The resource group and name of a vault, from its ARM id. */
export function vaultOf(vaultId: string): { readonly resourceGroupName: string; readonly vaultName: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i.exec(vaultId);
  if (!m) throw new Error(`'${vaultId}' is not a Key Vault's resource id`);
  return { resourceGroupName: m[1], vaultName: m[2] };
}

/** Whether a deployed gateway's certificates already name the secret `certificateName` (any version, any vault). */
export function servesCertificate(
  gateway: { readonly sslCertificates?: readonly { readonly keyVaultSecretId?: string }[] },
  certificateName: string,
): boolean {
  const name = certificateName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (gateway.sslCertificates ?? []).some((c) =>
    new RegExp(`/secrets/${name}(/[^/]*)?/?$`, "i").test(c.keyVaultSecretId ?? ""),
  );
}

/**
 * `ingestion.tlsCertificateName` against a deployed gateway that does not serve it yet: the certificate must be in the
 * vault under that name before the gateway's update names it. A gateway that cannot fetch its certificate puts "the associated HTTPS
 * listeners ... in a disabled state" (application-gateway-key-vault-common-errors): the payment API's only listener.
 * A gateway not deployed yet is the first deploy's, whose two passes import the certificate between them
 * (docs/operations.md).
 */
export function certificateConflicts(
  deployed: { readonly secretFound: boolean; readonly vaultName: string },
  certificateName: string,
): CreationOnlyConflict[] {
  if (deployed.secretFound) return [];
  return [
    {
      key: "ingestion.tlsCertificateName",
      deployed: `no secret '${certificateName}' in the vault '${deployed.vaultName}'`,
      wanted: `'${certificateName}'`,
      kind: "refused",
      remedy:
        `Import the certificate under that name first (issued for ingestion.apiHostName; from a network peered with ` +
        `the VNet, as a member of the platform admins group): az keyvault certificate import --vault-name ` +
        `${deployed.vaultName} -n ${certificateName} -f <certificate.pfx> --password <its password> (if it was ` +
        `deleted, soft delete keeps it for 90 days, and purge protection keeps it from being purged: ` +
        `az keyvault certificate recover --vault-name ${deployed.vaultName} -n ${certificateName}); then deploy.`,
    },
  ];
}

export interface ApiGatewayArgs {
  readonly context: StackContext;
  /** The validated `ingestion` section of the stack config. */
  readonly ingestion: IngestionConfig;
  readonly resourceGroupName: pulumi.Input<string>;
  /** The gateway's user-assigned identity (reads the certificate). */
  readonly identity: ManagedIdentity;
  /**
   * The platform Key Vault holding the TLS certificate (private endpoint only), and what resolving it to its private
   * endpoint from the VNet waits for (the endpoint, its zone group; `Platform.keyVaultReachable`).
   */
  readonly keyVault: {
    readonly id: pulumi.Input<string>;
    readonly uri: pulumi.Input<string>;
    readonly reachable: readonly pulumi.Resource[];
  };
  /** The App Gateway subnet (NSG: HTTPS from the internet only). */
  readonly subnetId: pulumi.Input<string>;
  /** The payment API's host name (its private endpoint resolves it inside the VNet). */
  readonly backendHost: pulumi.Input<string>;
  /**
   * The payment API's private endpoint and DNS zone group: the gateway waits for them, since until they exist its
   * backend name resolves to the app's public address, which refuses it (public network access disabled), and the
   * probe fails (learn.microsoft.com/azure/application-gateway/configuration-infrastructure).
   */
  readonly backendReachable: readonly pulumi.Resource[];
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  readonly tags: Tags;
}

/** Creates `${name}-agw` (+ `-agw-pip`, `-agw-cert`, `-waf`, diagnostics) as children of `parent`. */
export function apiGateway(
  name: string,
  args: ApiGatewayArgs,
  parent: pulumi.Resource,
): {
  readonly gateway: network.ApplicationGateway;
  readonly pip: network.PublicIPAddress;
  readonly wafPolicy: network.WebApplicationFirewallPolicy;
} {
  const { context, ingestion: cfg, tags } = args;
  const rg = args.resourceGroupName;
  const location = context.config.location;
  const gwName = context.name("applicationGateway", "api");
  // Sub-resource ids from names known at plan time (the platform names its groups `context.name("resourceGroup",
  // role)`), so listener/rule wiring is checkable in the first preview, before the group exists.
  const rgName = context.name("resourceGroup", "ingestion");
  const gwId = pulumi.interpolate`/subscriptions/${deployer().subscriptionId}/resourceGroups/${rgName}/providers/Microsoft.Network/applicationGateways/${gwName}`;
  const child = (kind: string, child: string) => ({ id: pulumi.interpolate`${gwId}/${kind}/${child}` });

  // The certificate: Key Vault Secrets User on that one secret, then wait for RBAC to reach Key Vault (the
  // gateway reads the secret while it is created and fails without retrying).
  // On a deployed gateway, the certificate's name is checked against the vault first (certificateConflicts): the
  // grant and the gateway both wait for it.
  const certificateName = afterCreationOnlyCheck(pulumi.all([pulumi.output(args.keyVault.id), pulumi.output(rg)]), {
    resource: () => `the API gateway '${gwName}'`,
    read: async ([vaultId, resourceGroupName]) => {
      const gateway = await deployedOrNone(() =>
        network.getApplicationGateway({ resourceGroupName, applicationGatewayName: gwName }, { parent }),
      );
      // A new gateway (the first deploy's passes import the certificate between them), or one already serving this
      // name: nothing to read.
      if (gateway === undefined || servesCertificate(gateway, cfg.tlsCertificateName)) return undefined;
      const vault = vaultOf(vaultId);
      // A failed read is a warning, not the deploy's end: the check is a safety net (Microsoft calls the management
      // plane's secret GET "intended for internal use in ARM deployments").
      return readOrWarn(
        async () => {
          const secret = await deployedOrNone(() =>
            keyvault.getSecret({ ...vault, secretName: cfg.tlsCertificateName }, { parent }),
          );
          return { secretFound: secret !== undefined, vaultName: vault.vaultName };
        },
        (error) =>
          `the API gateway '${gwName}': ingestion.tlsCertificateName names '${cfg.tlsCertificateName}', which it does ` +
          `not serve yet, and the vault could not be read to check it is there (${error}): check it is imported ` +
          `before the up (az keyvault certificate show --vault-name ${vault.vaultName} -n ${cfg.tlsCertificateName}).`,
        parent,
      );
    },
    conflicts: (deployed) => certificateConflicts(deployed, cfg.tlsCertificateName),
  }).apply(() => cfg.tlsCertificateName);
  const secretId = pulumi
    .all([pulumi.output(args.keyVault.uri), certificateName])
    .apply(([uri, certificate]) => certificateSecretId(uri, certificate));
  const certGrant = roleAssignment(
    `${name}-agw-cert`,
    pulumi.interpolate`${args.keyVault.id}/secrets/${certificateName}`,
    {
      key: "secrets-user",
      principalId: args.identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: KEY_VAULT_SECRETS_USER,
      description: `Lets the API gateway read its TLS certificate ${cfg.tlsCertificateName}.`,
    },
    parent,
  );
  const certAccess = grantPropagation(`${name}-agw-cert-propagation`, certGrant, parent);

  const wafPolicy = new network.WebApplicationFirewallPolicy(
    `${name}-waf`,
    {
      policyName: context.name("wafPolicy", "api"),
      resourceGroupName: rg,
      location,
      policySettings: {
        state: network.WebApplicationFirewallEnabledState.Enabled,
        mode: network.WebApplicationFirewallMode.Prevention,
        requestBodyCheck: true,
        requestBodyEnforcement: true,
        // Payment requests are small JSON documents; nothing is uploaded.
        requestBodyInspectLimitInKB: 128,
        maxRequestBodySizeInKb: 128,
        fileUploadEnforcement: true,
        fileUploadLimitInMb: 1,
        logScrubbing: {
          state: network.WebApplicationFirewallScrubbingState.Enabled,
          scrubbingRules: WAF_LOG_SCRUBBING_RULES.map((r) => ({ ...r })),
        },
      },
      managedRules: { managedRuleSets: WAF_MANAGED_RULE_SETS.map((s) => ({ ...s })) },
      customRules: [paymentApiPathRule()],
      tags,
    },
    { parent },
  );

  const pip = new network.PublicIPAddress(
    `${name}-agw-pip`,
    {
      publicIpAddressName: context.name("publicIp", "agw"),
      resourceGroupName: rg,
      location,
      sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
      publicIPAllocationMethod: network.IPAllocationMethod.Static,
      zones: ["1", "2", "3"],
      // DDoS protection of the stack (ddosProtectionMode): the VNet's Network Protection plan through the gateway's
      // subnet, or DDoS IP Protection on this IP.
      ddosSettings: { protectionMode: publicIpDdosMode(context.config) },
      tags,
    },
    // The address merchants' DNS points to: a new one (a deletion, or a replacement by a rename, SKU or zone change)
    // breaks every merchant until their DNS follows, so prod protects and locks it like its stateful resources.
    { parent, protect: context.config.protectStatefulResources },
  );
  managementLock(
    `${name}-agw-pip`,
    pip.id,
    lockFor(context.config.protectStatefulResources, "the public IP merchants' DNS points to"),
    parent,
    pip,
  );

  const backendHost = args.backendHost;
  const mtls = merchantMutualTls(cfg);
  const sslPolicy = { policyType: network.ApplicationGatewaySslPolicyType.Predefined, policyName: GATEWAY_SSL_POLICY };
  const gateway = new network.ApplicationGateway(
    `${name}-agw`,
    {
      applicationGatewayName: gwName,
      resourceGroupName: rg,
      location,
      zones: ["1", "2", "3"],
      sku: { name: network.ApplicationGatewaySkuName.WAF_v2, tier: network.ApplicationGatewayTier.WAF_v2 },
      autoscaleConfiguration: gatewayAutoscale(cfg),
      enableHttp2: true,
      identity: { type: network.ResourceIdentityType.UserAssigned, userAssignedIdentities: [args.identity.id] },
      firewallPolicy: { id: wafPolicy.id },
      forceFirewallPolicyAssociation: true,
      sslPolicy,
      // Merchants authenticate with client certificates (ingestion.gateway.merchantCertificateAuthorities).
      ...(mtls
        ? {
            trustedClientCertificates: mtls.trustedClientCertificates,
            sslProfiles: [
              {
                name: MERCHANT_SSL_PROFILE,
                sslPolicy,
                clientAuthConfiguration: mtls.clientAuthConfiguration,
                trustedClientCertificates: mtls.trustedClientCertificates.map((c) =>
                  child("trustedClientCertificates", c.name),
                ),
              },
            ],
          }
        : {}),
      gatewayIPConfigurations: [{ name: "gateway-ip", subnet: { id: args.subnetId } }],
      frontendIPConfigurations: [{ name: "public", publicIPAddress: { id: pip.id } }],
      // HTTPS only, no port 80 listener redirecting to it: an API client calling http:// would send its whole
      // request (headers, the payment's body) in clear text before any redirect came back, and a 301 may turn a POST
      // into a GET (RFC 9110 15.4.2); with nothing listening on 80 (and the subnet's NSG refusing it) the connection
      // fails before a byte is sent, as payment APIs do ("Calls made over plain HTTP will fail").
      frontendPorts: [{ name: "https", port: 443 }],
      sslCertificates: [{ name: "api-tls", keyVaultSecretId: secretId }],
      httpListeners: [
        {
          name: "https",
          protocol: network.ApplicationGatewayProtocol.Https,
          frontendIPConfiguration: child("frontendIPConfigurations", "public"),
          frontendPort: child("frontendPorts", "https"),
          sslCertificate: child("sslCertificates", "api-tls"),
          ...(mtls ? { sslProfile: child("sslProfiles", MERCHANT_SSL_PROFILE) } : {}),
          ...(cfg.apiHostName ? { hostNames: [cfg.apiHostName], requireServerNameIndication: true } : {}),
        },
      ],
      backendAddressPools: [{ name: "payment-api", backendAddresses: [{ fqdn: backendHost }] }],
      probes: [
        {
          name: "payment-api-health",
          protocol: network.ApplicationGatewayProtocol.Https,
          path: HEALTH_PATH,
          pickHostNameFromBackendHttpSettings: true,
          interval: 15,
          timeout: 10,
          unhealthyThreshold: 3,
          match: { statusCodes: ["200-399"] },
        },
      ],
      backendHttpSettingsCollection: [
        {
          name: "payment-api-https",
          protocol: network.ApplicationGatewayProtocol.Https,
          port: 443,
          // The app's own host name: App Service routes by Host, and its certificate matches it.
          pickHostNameFromBackendAddress: true,
          cookieBasedAffinity: network.ApplicationGatewayCookieBasedAffinity.Disabled,
          // Longer than the app may take (host.json functionTimeout 30 s, a cold start's SQL login included): a
          // gateway that gave up first would answer 504 while the payment is still inserted, and the merchant's retry
          // would then fail on its idempotency key.
          requestTimeout: GATEWAY_REQUEST_TIMEOUT_SECONDS,
          probe: child("probes", "payment-api-health"),
        },
      ],
      // With mutual TLS, the client certificate's verification result and subject, set on every request to the API
      // (overwriting what a client may have sent): the payment API ties the request's merchant to its certificate.
      // Without it the app authenticates nobody and reads no header, so no rewrite either.
      ...(mtls
        ? {
            rewriteRuleSets: [
              {
                name: MERCHANT_REWRITE_RULE_SET,
                rewriteRules: [
                  {
                    name: "client-certificate-headers",
                    ruleSequence: 100,
                    actionSet: {
                      requestHeaderConfigurations: Object.values(MERCHANT_CERTIFICATE_HEADERS).map((h) => ({
                        headerName: h.header,
                        headerValue: h.variable,
                      })),
                    },
                  },
                ],
              },
            ],
          }
        : {}),
      requestRoutingRules: [
        {
          name: "https-to-payment-api",
          priority: 100,
          ruleType: network.ApplicationGatewayRequestRoutingRuleType.Basic,
          httpListener: child("httpListeners", "https"),
          backendAddressPool: child("backendAddressPools", "payment-api"),
          backendHttpSettings: child("backendHttpSettingsCollection", "payment-api-https"),
          ...(mtls ? { rewriteRuleSet: child("rewriteRuleSets", MERCHANT_REWRITE_RULE_SET) } : {}),
        },
      ],
      tags,
    },
    // The certificate is read while the gateway is created, through the vault's private endpoint: its name must resolve
    // to the endpoint first (in the hub's zone, linked to the VNet, with privateDns.mode central: hubZones).
    { parent, dependsOn: [certAccess, ...args.backendReachable, ...args.keyVault.reachable] },
  );
  // Access, performance and firewall logs (allLogs) and metrics, in resource-specific tables (AGWAccessLogs,
  // AGWFirewallLogs, AGWPerformanceLogs).
  diagnosticSetting(`${name}-agw`, gateway.id, args.diagnosticSettings, parent);
  // The public IP's DDoS logs have no resource-specific table: AzureDiagnostics (as the firewall's IP).
  diagnosticSetting(`${name}-agw-pip`, pip.id, { ...args.diagnosticSettings, destination: "AzureDiagnostics" }, parent);

  return { gateway, pip, wafPolicy };
}
