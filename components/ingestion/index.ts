/**
 * Ingestion tier (flow 1, the real-time payment path):
 *
 *   merchant ──HTTPS──▶ Application Gateway WAF_v2 (public IP in the VNet, DDoS plan in prod)
 *                         │ WAF policy (Prevention, DRS 2.1 + Bot Manager 1.1), TLS 1.2+ (AppGwSslPolicy20220101S),
 *                         │ certificate from Key Vault through the gateway's user-assigned identity
 *                         ▼ private endpoint (privatelink.azurewebsites.net)
 *                       payment API function app ── INSERT dbo.Payment ──▶ Azure SQL (private endpoint)
 *                         └── api_logs (Cosmos DB)        │ change tracking (Azure SQL trigger)
 *                                                          ▼
 *                       fraud scoring function app ── features: fraud_features ──▶ score (Azure ML endpoint, Entra)
 *                         └── fraud_features (cards, If-Match replace), webhook_events (create only)
 *                       merchant refresh (timer, every minute, same app): dbo.Payment window → merchant items
 *
 * Both apps run on the shared Flex Consumption hosting (components/shared/functionApp.ts) with their own
 * user-assigned identities: the data tiers grant those identities exactly what each app writes (Cosmos DB
 * containers through the NoSQL tier's data-plane grants, SQL through database users: pipelines/functions/README.md).
 *
 * How the gateway reaches the private Key Vault: the gateway sits in the platform VNet's App Gateway subnet; the VNet
 * is linked to the privatelink.vaultcore.azure.net zone, so `<vault>.vault.azure.net` resolves to the vault's private
 * endpoint and the gateway fetches the certificate (and every rotated version, polled every 4 hours, because the
 * secret id is versionless) over the VNet, authenticated as its user-assigned identity with Key Vault Secrets User
 * on that one secret (learn.microsoft.com/azure/application-gateway/key-vault-certs). The stack creates the vault, so
 * a new stack's first `pulumi up` runs in two passes with the certificate imported in between (docs/operations.md).
 *
 * Merchants: with `ingestion.gateway.merchantCertificateAuthorities`, the HTTPS listener asks every client for a
 * certificate of one of those authorities (mutual TLS, OCSP revocation check), and the gateway passes the verification
 * result and subject to the payment API, which accepts a payment only for the merchant its certificate names
 * (pipelines/functions/src/lib/merchantAuth.ts). Without authorities, no merchant is authenticated: the pack's
 * advisory rule says so on every preview.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import { ZONE_REDUNDANT_MIN_ALWAYS_READY, type CosmosContainerKey, type IngestionConfig } from "../../lib/config";
import { kebabCase } from "../../lib/naming";
import type { CosmosDataGrant, CosmosMetadataGrant } from "../nosql/settings";
import { tierLogAlert } from "../operations/alerts";
import { isoMinutes } from "../operations/sla";
import {
  functionApp,
  functionPackageWriterRole,
  type CustomerManagedKey,
  type DiagnosticSettingsTarget,
  type FunctionAppResources,
  type IntegrationSubnet,
  type LinkToMonitorScope,
  type ManagedIdentity,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
  workloadIdentity,
} from "../shared";
import { apiGateway, merchantMutualTls } from "./gateway";
import {
  CONTAINER_ACCESS,
  containersOf,
  cosmosConnectionSettings,
  FUNCTION_NAMES,
  IDENTITY_QUALIFIERS,
  identityName,
  MERCHANT_REFRESH_STALE_MINUTES,
  merchantRefreshQuery,
  SCORER_FAILURES_WINDOW_MINUTES,
  scorerFailuresQuery,
  SCORER_STALLED_GRACE_MINUTES,
  SCORER_STALLED_WINDOW_MINUTES,
  scorerStalledQuery,
  SQL_TRIGGER_MAX_BATCH_SIZE,
  SQL_TRIGGER_MAX_CHANGES_PER_WORKER,
  sqlConnectionString,
} from "./settings";

export interface FraudScoringEndpoint {
  /** `https://<endpoint>.<region>.inference.ml.azure.com/score` (private inside the VNet). */
  readonly scoringUri: pulumi.Input<string>;
  /**
   * Lets a principal call the endpoint and nothing else: the ML tier's `grantScoring` (its custom role with the
   * single score action, assigned on the endpoint). The ML tier owns the role, so it is defined once.
   */
  readonly grantScoring: (principal: {
    readonly key: string;
    readonly principalId: pulumi.Input<string>;
  }) => pulumi.Resource;
}

export interface IngestionArgs {
  /** Names, tags and the validated stack config. */
  readonly context: StackContext;
  /** Resource group of the tier (the platform's `ingestion` group). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The stack's random suffix (globally unique names). */
  readonly suffix: pulumi.Output<string>;
  /** The validated `ingestion` section of the stack config. */
  readonly ingestion: IngestionConfig;
  /** Subnets: the gateway's (NSG: HTTPS from the internet only) and the Flex integration subnet. */
  /** The gateway's subnet, and the Flex integration subnet the apps join (one at a time, with other tiers' apps). */
  readonly subnets: { readonly appGateway: pulumi.Input<string>; readonly functions: IntegrationSubnet };
  /** Where the apps' and their storage's private endpoints go. */
  readonly privateEndpoints: PrivateEndpointTarget;
  /** The central Log Analytics workspace. */
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  /** The platform's link to its Azure Monitor Private Link Scope (Application Insights stays private). */
  readonly linkToMonitorScope: LinkToMonitorScope;
  /**
   * The platform Key Vault holding the TLS certificate (private endpoint only), and what resolving it to its private
   * endpoint from the VNet waits for (the endpoint, its zone group; `Platform.keyVaultReachable`).
   */
  readonly keyVault: {
    readonly id: pulumi.Input<string>;
    readonly uri: pulumi.Input<string>;
    readonly reachable: readonly pulumi.Resource[];
  };
  /** Customer-managed key of the functions' host storage (packages, leases); none = Microsoft-managed keys. */
  readonly storageKey?: CustomerManagedKey;
  /** The payments database (the apps connect with their identities; no passwords). */
  readonly sql: { readonly serverFqdn: pulumi.Input<string>; readonly databaseName: pulumi.Input<string> };
  /** The Cosmos DB account and its containers. */
  readonly cosmos: {
    readonly endpoint: pulumi.Input<string>;
    readonly databaseName: pulumi.Input<string>;
    readonly containerNames: Readonly<Record<CosmosContainerKey, pulumi.Input<string>>>;
  };
  /** The ML tier's fraud scoring endpoint; absent = the scorer uses its built-in rules model only. */
  readonly fraudScoringEndpoint?: FraudScoringEndpoint;
  /** Where the tier's own alert goes (the merchant refresh's staleness, Sev2); no alert without it. */
  readonly alerts?: {
    readonly actionGroupId: pulumi.Input<string>;
    /**
     * The scorer sleeps outside working hours (`olap.pauseSchedule.alsoStop`, dev): its alert, silenced then, is
     * stateless so that it pages again once the silenced window ends.
     */
    readonly sleepsOffHours?: boolean;
  };
  /**
   * Grants an app's identity a custom item-level role on each container it writes (CONTAINER_ACCESS, through the
   * NoSQL tier's `grantDataAccess`, which serialises every grant on the account); each app starts after its grants.
   */
  readonly grantCosmosAccess: CosmosDataGrant;
  /** Grants an app's identity `readMetadata` on the account (the NoSQL tier's `grantMetadataRead`). */
  readonly grantCosmosMetadataRead: CosmosMetadataGrant;
  /**
   * The application security group of the payment API's private endpoint: the platform's private endpoint subnet
   * admits only the gateway and the deploy runners to it once merchants authenticate
   * (Platform.paymentApiEndpointAsgId).
   */
  readonly paymentApiEndpointAsgId?: pulumi.Input<string>;
  /** Further resources the apps wait for. */
  readonly dependsOn?: readonly pulumi.Resource[];
  /** Tags of every resource; default `context.tags(...)` (PCI scope: CDE-connected, confidential). */
  readonly tags?: Tags;
}

export * from "./gateway";
export * from "./settings";

export class Ingestion extends pulumi.ComponentResource {
  /** The identities the apps run as (data tiers grant them access). */
  public readonly identities: Readonly<Record<"paymentApi" | "fraudScoring", ManagedIdentity>>;
  /** The apps' SQL database users (pipelines/functions/sql/flow1_access.sql): each its managed identity's name. */
  public readonly sqlPrincipalNames: readonly string[];
  public readonly paymentApi: FunctionAppResources;
  public readonly fraudScoring: FunctionAppResources;
  public readonly gatewayId: pulumi.Output<string>;
  public readonly gatewayName: pulumi.Output<string>;
  /** The public IP merchants call (point the API's DNS name at it). */
  public readonly publicIpAddress: pulumi.Output<string>;
  public readonly wafPolicyId: pulumi.Output<string>;
  /** The merchant refresh's staleness alert (what a stopped scorer fires), when the tier has alerts. */
  public readonly merchantRefreshAlertId?: pulumi.Output<string>;
  /** The alert on failed scorer runs (with `alerts`). */
  public readonly scorerFailuresAlertId?: pulumi.Output<string>;
  /** The alert on accepted payments the scorer never ran for (with `alerts`): a stopped scorer fires it too. */
  public readonly scorerStalledAlertId?: pulumi.Output<string>;

  constructor(name: string, args: IngestionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:ingestion:Ingestion", name, {}, opts);
    const { context, ingestion: cfg } = args;
    const location = context.config.location;
    const rg = args.resourceGroupName;
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "ingestion" });

    // Identities first: the data tiers grant them before the apps start.
    const identity = (key: string, who: keyof typeof IDENTITY_QUALIFIERS) => {
      const { id, principalId, clientId } = workloadIdentity(
        `${name}-id-${key}`,
        {
          resourceName: identityName(context, who),
          resourceGroupName: rg,
          location,
          tags,
          protect: context.config.protectStatefulResources,
          what: `the identity of the ${key}`,
        },
        this,
      );
      return { id, principalId, clientId };
    };
    const payId = identity("payment-api", "paymentApi");
    const fraudId = identity("fraud-scoring", "fraudScoring");
    const gatewayId = identity("gateway", "gateway");
    this.identities = { paymentApi: payId, fraudScoring: fraudId };
    this.sqlPrincipalNames = [identityName(context, "paymentApi"), identityName(context, "fraudScoring")];
    // Each app writes exactly its containers, each with the item-level role its code needs there (keys
    // `payment-api`, `fraud-scoring`), and starts after those grants.
    const cosmosGrants = (app: "paymentApi" | "fraudScoring", who: ManagedIdentity): pulumi.Resource[] => {
      const principal = { key: kebabCase(app), principalId: who.principalId };
      return [
        ...Object.entries(CONTAINER_ACCESS[app]).flatMap(([container, role]) =>
          args.grantCosmosAccess(role, { ...principal, containers: [container as CosmosContainerKey] }),
        ),
        args.grantCosmosMetadataRead(principal),
      ];
    };
    const payGrants = cosmosGrants("paymentApi", payId);
    const fraudGrants = cosmosGrants("fraudScoring", fraudId);
    // The scorer may call the scoring endpoint, and nothing else in the ML workspace (the ML tier's custom role
    // with the single score action, assigned on that endpoint); it starts after that grant too.
    const scoringGrant = args.fraudScoringEndpoint?.grantScoring({
      key: "ingestion-fraud-scoring",
      principalId: fraudId.principalId,
    });

    // --- Function apps ----------------------------------------------------------------------------------------
    const hosting = {
      context,
      resourceGroupName: rg,
      suffix: args.suffix,
      integrationSubnet: args.subnets.functions,
      privateEndpoints: args.privateEndpoints,
      diagnosticSettings: args.diagnosticSettings,
      linkToMonitorScope: args.linkToMonitorScope,
      // Host storage holds code packages and leases, no cardholder data (pci-scope "connected"): encrypted with the
      // platform's storage key anyway, like every other account (defence in depth), infrastructure encryption on too.
      customerManagedKey: args.storageKey,
      protect: context.config.protectStatefulResources,
      // The group's package writer role, granted by the deploy workflow for a ship only (one role for both apps).
      packageWriter: functionPackageWriterRole(name, { context, resourceGroupName: rg, tier: "ingestion" }, this),
      tags,
    };
    const sqlSettings = (who: ManagedIdentity) => ({
      SqlConnection: pulumi
        .all([args.sql.serverFqdn, args.sql.databaseName, who.clientId])
        .apply(([s, d, c]) => sqlConnectionString(s, d, c)),
    });
    const cosmosSettings = (who: ManagedIdentity, containers: readonly CosmosContainerKey[]) => ({
      ...Object.fromEntries(
        Object.keys(cosmosConnectionSettings("e", "c")).map((k) => [
          k,
          pulumi.all([args.cosmos.endpoint, who.clientId]).apply(([e, c]) => cosmosConnectionSettings(e, c)[k]),
        ]),
      ),
      COSMOS_DATABASE: args.cosmos.databaseName,
      ...Object.fromEntries(
        containers.map((c) => [
          `COSMOS_CONTAINER_${c.replace(/[A-Z]/g, (x) => `_${x}`).toUpperCase()}`,
          args.cosmos.containerNames[c],
        ]),
      ),
    });

    // With merchant authentication the app trusts the gateway's certificate headers: its settings (which switch it to
    // client-certificate mode) wait for the gateway that sets them. The gateway needs the app's host name and its
    // private endpoint, so it is created below; the settings, last of the app's resources then, wait on a promise of
    // it.
    const mtls = merchantMutualTls(cfg) !== undefined;
    let gatewayCreated: (g: pulumi.Resource) => void = () => undefined;
    const gatewayPromise = new Promise<pulumi.Resource>((resolve) => (gatewayCreated = resolve));
    this.paymentApi = functionApp(
      `${name}-payapi`,
      {
        ...hosting,
        qualifier: "payapi",
        identity: payId,
        ...(mtls ? { settingsDependsOn: [gatewayPromise] } : {}),
        ...(args.paymentApiEndpointAsgId
          ? { endpointApplicationSecurityGroupIds: [args.paymentApiEndpointAsgId] }
          : {}),
        dependsOn: [...(args.dependsOn ?? []), ...payGrants],
        plan: {
          instanceMemoryMB: cfg.functions.instanceMemoryMB,
          maximumInstanceCount: cfg.functions.paymentApi.maximumInstanceCount,
          alwaysReady: [{ name: "http", instanceCount: cfg.functions.paymentApi.alwaysReady }],
          zoneRedundant: cfg.functions.zoneRedundant,
        },
        appSettings: {
          FUNCTIONS_APP_ROLE: "payment-api",
          // The merchant is the one the gateway's client certificate names (mutual TLS), when authorities are set.
          MERCHANT_AUTHENTICATION: mtls ? "client-certificate" : "none",
          ...sqlSettings(payId),
          ...cosmosSettings(payId, containersOf(CONTAINER_ACCESS.paymentApi)),
        },
      },
      this,
    );
    this.fraudScoring = functionApp(
      `${name}-fraud`,
      {
        ...hosting,
        qualifier: "fraud",
        identity: fraudId,
        dependsOn: [...(args.dependsOn ?? []), ...fraudGrants, ...(scoringGrant ? [scoringGrant] : [])],
        plan: {
          instanceMemoryMB: cfg.functions.instanceMemoryMB,
          maximumInstanceCount: cfg.functions.fraudScoring.maximumInstanceCount,
          // Kept warm: the SQL trigger's managed identity cannot wake the app from zero on Flex
          // (Azure/azure-functions-sql-extension#1235), and a warm instance keeps the poll loop going.
          alwaysReady: [
            {
              name: `function:${FUNCTION_NAMES.scorePayment}`,
              instanceCount: cfg.functions.fraudScoring.alwaysReady,
            },
            // The merchant refresh timer scales from zero, except on a zone-redundant plan, which keeps two of every
            // group warm (declared, so the estimate bills them).
            ...(cfg.functions.zoneRedundant
              ? [
                  {
                    name: `function:${FUNCTION_NAMES.refreshMerchantFeatures}`,
                    instanceCount: ZONE_REDUNDANT_MIN_ALWAYS_READY,
                  },
                ]
              : []),
          ],
          zoneRedundant: cfg.functions.zoneRedundant,
        },
        appSettings: {
          FUNCTIONS_APP_ROLE: "fraud-scoring",
          ...sqlSettings(fraudId),
          ...cosmosSettings(fraudId, containersOf(CONTAINER_ACCESS.fraudScoring)),
          // Per stack (ingestion.functions.fraudScoring.sqlTriggerPollingMs): prod's 200 ms P99 budget polls every
          // 100 ms; dev, with no latency target, at the extension's default second (a tenth of the audit records).
          Sql_Trigger_PollingIntervalMs: String(cfg.functions.fraudScoring.sqlTriggerPollingMs),
          Sql_Trigger_MaxBatchSize: String(SQL_TRIGGER_MAX_BATCH_SIZE),
          Sql_Trigger_MaxChangesPerWorker: String(SQL_TRIGGER_MAX_CHANGES_PER_WORKER),
          FRAUD_SCORING_URI: args.fraudScoringEndpoint?.scoringUri ?? "",
          FRAUD_SCORING_TIMEOUT_MS: "80",
        },
      },
      this,
    );

    // The merchant refresh runs every minute; no successful run for 15 minutes means merchant features are going
    // stale (failing runs, throttling, the SQL replica unreachable): Sev2, the model scores on older merchant counts.
    if (args.alerts) {
      // Both alerts below watch the scorer app's logs and page through the same group.
      const scorerAlerts = {
        context,
        resourceGroupName: rg,
        workspaceId: args.diagnosticSettings.workspaceId,
        subject: this.fraudScoring.app.name,
        actionGroupId: args.alerts.actionGroupId,
        tags,
      };
      this.merchantRefreshAlertId = tierLogAlert(
        `${name}-merchant-refresh-alert`,
        {
          ruleKey: "merchant-refresh",
          displayName: "Merchant features refresh",
          description: `The fraud scorer's merchant refresh had no successful run for ${MERCHANT_REFRESH_STALE_MINUTES} minutes: merchant features are going stale; see docs/runbook.md#merchant-refresh.`,
          runbook: "merchant-refresh",
          query: merchantRefreshQuery,
          evaluationFrequency: "PT5M",
          windowSize: isoMinutes(MERCHANT_REFRESH_STALE_MINUTES),
          timeAggregation: monitor.TimeAggregation.Total,
          metricMeasureColumn: "Runs",
          operator: monitor.Operator.LessThan,
          threshold: 1,
          severity: 2,
          autoMitigate: !args.alerts.sleepsOffHours,
        },
        scorerAlerts,
        this,
      ).id;
      // Failed scorer runs: the SQL trigger runs a failed batch again about once a minute and drops its rows after the
      // fifth failed run (about 4 to 6 minutes after the first), after which those merchants never hear of their
      // payments (a webhook event it could not queue is the usual cause). Paged (Sev2) on the first failed run; with a
      // 5-minute evaluation and the logs' delay the page may come after the rows are dropped, and the failed run's
      // exception names the payments for the recovery. A stopped scorer runs nothing, so it never fires off hours.
      this.scorerFailuresAlertId = tierLogAlert(
        `${name}-scorer-failures-alert`,
        {
          ruleKey: "scorer-failures",
          displayName: "Fraud scorer runs failing",
          description: `The fraud scorer failed a run in the last ${SCORER_FAILURES_WINDOW_MINUTES} minutes: the SQL trigger drops a batch's payments after five failed runs, and their merchants then never hear; see docs/runbook.md#scorer-failures.`,
          runbook: "scorer-failures",
          query: scorerFailuresQuery,
          evaluationFrequency: "PT5M",
          windowSize: isoMinutes(SCORER_FAILURES_WINDOW_MINUTES),
          timeAggregation: monitor.TimeAggregation.Total,
          metricMeasureColumn: "Runs",
          operator: monitor.Operator.GreaterThan,
          threshold: 0,
          severity: 2,
          autoMitigate: true,
        },
        scorerAlerts,
        this,
      ).id;
      // Payments accepted and none scored: the SQL trigger's listener stopped or cannot read the changes (its polling
      // is no function run, so the failures alert cannot see it), or the scorer app is down. Sev2 over 15 minutes,
      // counting payments at least 5 minutes old (the scorer's time, and its logs' delay). Silenced with the scorer
      // off hours (dev), so stateless there, as the refresh alert.
      this.scorerStalledAlertId = tierLogAlert(
        `${name}-scorer-stalled-alert`,
        {
          ruleKey: "scorer-stalled",
          displayName: "Fraud scorer not scoring accepted payments",
          description: `The payment API accepted payments at least ${SCORER_STALLED_GRACE_MINUTES} minutes old and the fraud scorer had no successful run in ${SCORER_STALLED_WINDOW_MINUTES} minutes: their merchants hear nothing; see docs/runbook.md#scorer-stalled.`,
          runbook: "scorer-stalled",
          query: scorerStalledQuery,
          evaluationFrequency: "PT5M",
          windowSize: isoMinutes(SCORER_STALLED_WINDOW_MINUTES),
          timeAggregation: monitor.TimeAggregation.Total,
          metricMeasureColumn: "Unscored",
          operator: monitor.Operator.GreaterThan,
          threshold: 0,
          severity: 2,
          autoMitigate: !args.alerts.sleepsOffHours,
        },
        { ...scorerAlerts, subject: [this.paymentApi.app.name, this.fraudScoring.app.name] },
        this,
      ).id;
    }

    // --- Application Gateway (gateway.ts) ---------------------------------------------------------------------
    const { gateway, pip, wafPolicy } = apiGateway(
      name,
      {
        context,
        ingestion: cfg,
        resourceGroupName: rg,
        identity: gatewayId,
        keyVault: args.keyVault,
        subnetId: args.subnets.appGateway,
        backendHost: this.paymentApi.defaultHostName,
        backendReachable: [this.paymentApi.privateEndpoint.endpoint, this.paymentApi.privateEndpoint.zoneGroup],
        diagnosticSettings: args.diagnosticSettings,
        tags,
      },
      this,
    );

    gatewayCreated(gateway);
    this.gatewayId = gateway.id;
    this.gatewayName = gateway.name;
    this.publicIpAddress = pip.ipAddress.apply((ip) => ip ?? "");
    this.wafPolicyId = wafPolicy.id;
    this.registerOutputs({
      gatewayId: this.gatewayId,
      publicIpAddress: this.publicIpAddress,
      paymentApi: this.paymentApi.name,
      fraudScoring: this.fraudScoring.name,
    });
  }
}
