/**
 * The stack config's schema: every key of the namespace with its allowed values and defaults, and the rules across
 * keys (index.ts's parseConfig applies it and formats its problems).
 */
import { z } from "../zod";
import { settings } from "./strict";
import { findOverlaps, contains, formatCidr, isPrivate, parseCidr, type Cidr } from "../cidr";
import { loadSchema, usageSchema } from "../usage";
import {
  ENVIRONMENTS,
  SUBNET_ROLES,
  list,
  AVAILABILITY_ZONE_REGIONS,
  euRegion,
  cidr,
  guid,
  vnetId,
  ddosPlanId,
  email,
  int,
} from "./common";
import { sqlSchema, olapSchema, olapIssues, cosmosSchema, EU_REGION_PAIRS } from "./data";
import {
  ML_DEV_DEFAULTS,
  mlSchema,
  ETL_DEV_DEFAULTS,
  etlSchema,
  ingestionSchema,
  streamingSchema,
  STREAMING_DEV_DEFAULTS,
  FUNCTION_PACKAGE_WRITES,
} from "./services";
import { operationsSchema } from "./operations";
import { offHoursWindowIssues } from "./offHoursWindow";
import { logLongTermRetentionIssues, logLongTermRetentionSchema } from "./logRetention";
import { privateDnsIssues, privateDnsSchema } from "./network";
import { subnetSizeIssues } from "./subnetSizes";
import { extraTagProblems, MAX_EXTRA_TAGS, REQUIRED_TAG_NAMES } from "../tags";

/**
 * Days before a key version expires that Key Vault publishes KeyNearExpiry (the rotation policy's notify action).
 * Config requires keys to rotate at least this long before they expire (lib/config: keyExpiryDays), so the current
 * version is always rotated before its notice: a notice means rotation did not run.
 */
export const KEY_EXPIRY_NOTICE_DAYS = 30;

/**
 * The Log Analytics commitment tiers `logAnalyticsCommitmentGbPerDay` takes, GB a day: a workspace's, up to the 5,000
 * where the price table's capture of the Retail Prices API stops (Azure takes tiers up to 50,000), each with its West
 * Europe price in tools/lib/cost/prices/.
 */
export const LOG_ANALYTICS_COMMITMENT_LEVELS = [100, 200, 300, 400, 500, 1000, 2000, 5000] as const;

const schema = settings({
  environment: z.enum(ENVIRONMENTS, { error: () => `must be one of ${list(ENVIRONMENTS)}` }),
  // At most 5: with 6, the payment API's host storage account (`st<workload>prodweupayapi<suffix>`) passes Azure's 24
  // characters (tests/config.spec.ts runs the whole program with the longest code).
  workload: z.string().regex(/^[a-z][a-z0-9]{1,4}$/, "must be 2–5 lower-case letters/digits starting with a letter"),
  location: euRegion,
  secondaryLocation: euRegion,
  // The owner tag's value on every resource: "the tag value is limited to 256 characters" (tag-resources, Limitations).
  owner: z
    .string()
    .min(2, "must name the owning team")
    .max(256, "must be at most 256 characters (it is every resource's owner tag value, Azure's limit)"),
  costCenter: z.string().regex(/^[A-Za-z0-9-]{2,20}$/, "must be 2–20 letters, digits or hyphens"),
  /**
   * Extra tags on every resource, next to the required ones (lib/tags.ts): Azure's limits on tag names and values,
   * and at most MAX_EXTRA_TAGS of them (the private DNS zones take 15 tags, the required ones included).
   */
  extraTags: z
    .record(z.string(), z.string({ error: "must be a string (a tag value)" }), {
      error: () =>
        `must be a map of tag name to string value (at most ${MAX_EXTRA_TAGS}; not ${REQUIRED_TAG_NAMES.join(", ")})`,
    })
    .superRefine((tags, ctx) => {
      for (const p of extraTagProblems(tags))
        ctx.addIssue({ code: "custom", path: p.name === undefined ? [] : [p.name], message: p.message });
    })
    .default({}),
  vnetAddressSpace: cidr,
  subnets: z.partialRecord(z.enum(SUBNET_ROLES), cidr).optional(),
  /**
   * The network operators and data-plane jobs come from (a hub with the VPN or ExpressRoute gateway, or one hosting
   * self-hosted runners): the stack's VNet peers with it, so they reach the private endpoints. The hub's own
   * peering back, and DNS forwarding of the `privatelink.*` zones, are the hub's (docs/operations.md).
   */
  hub: settings({
    virtualNetworkId: vnetId,
    /** Route through the hub's VPN/ExpressRoute gateway (the hub's peering must allow gateway transit). */
    useRemoteGateways: z.boolean().default(false),
    /**
     * Link the stack's private DNS zones to the hub VNet too, so clients that resolve through Azure DNS in the hub
     * find the private endpoints. Leave it off when the hub already resolves `privatelink.*` names through zones of
     * its own: then `privateDns.mode: central` registers the stack's endpoints there.
     */
    linkPrivateDnsZones: z.boolean().default(false),
  }).optional(),
  /** Where the private endpoints' DNS records live: the stack's own zones, or the hub's (lib/config/network.ts). */
  privateDns: privateDnsSchema,
  logRetentionDays: int(30, 730, " days (Log Analytics)"),
  /**
   * The workspace's commitment tier, GB a day, or 0 for pay-as-you-go (`sku: PerGB2018`). A tier bills its GB every
   * day, and usage above it at the tier's rate per GB; on a workspace with Microsoft Sentinel (onboarded after July
   * 2023: simplified pricing) the same tier covers Sentinel's analysis. Azure keeps a tier for 31 days from its choice
   * or change: a lower tier or pay-as-you-go is refused until then (azure-monitor-docs articles/azure-monitor/logs/
   * cost-logs.md, "Commitment tiers"; Sentinel's billing.md: "Lowering the Commitment tier is only allowed every 31
   * days").
   */
  logAnalyticsCommitmentGbPerDay: z
    .union(
      [z.literal(0), ...LOG_ANALYTICS_COMMITMENT_LEVELS.map((l) => z.literal(l))] as [
        z.ZodLiteral<0>,
        ...z.ZodLiteral<number>[],
      ],
      {
        error: () =>
          `must be 0 (pay-as-you-go) or a commitment tier in GB a day: ${LOG_ANALYTICS_COMMITMENT_LEVELS.join(", ")}`,
      },
    )
    .default(0),
  /** Long-term retention of the busiest tables (lib/config/logRetention.ts). */
  logLongTermRetention: logLongTermRetentionSchema,
  /**
   * The VNet's flow logs (components/platform/flowLogs.ts): the VNet's flows Azure records, to a storage account and,
   * with traffic analytics, to the workspace (NTANetAnalytics).
   */
  flowLogs: settings({
    /**
     * Days Network Watcher keeps each flow log blob: 1 to 365, its range ("their retention policy can be set from one
     * day to 365 days", vnet-flow-logs-overview). Default: logRetentionDays, at most 365.
     */
    retentionDays: int(1, 365, " days (Network Watcher keeps flow logs 1 to 365 days)").optional(),
    /** Traffic analytics' processing interval: 60 (the default) or 10 minutes (accelerated, dearer), or 0 for none. */
    trafficAnalyticsIntervalMinutes: z
      .union([z.literal(0), z.literal(10), z.literal(60)], {
        error: () => "must be 60 (traffic analytics every hour), 10 (every 10 minutes) or 0 (no traffic analytics)",
      })
      .default(60),
    /**
     * The region's Network Watcher, which Azure enables when a VNet is created ("NetworkWatcher_<region>" in
     * "NetworkWatcherRG": network-watcher-create); a flow log is its child. Set both where the subscription keeps it
     * elsewhere.
     */
    networkWatcherName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, "must be a Network Watcher name (1–80 letters, digits, _ . -)")
      .optional(),
    networkWatcherResourceGroup: z
      .string()
      .regex(/^[-\w._()]{1,90}$/, "must be a resource group name (1–90 letters, digits, _ . ( ) -)")
      .default("NetworkWatcherRG"),
  }).prefault({}),
  keyVaultSku: z.enum(["standard", "premium"], { error: () => "must be standard or premium" }),
  hsmKeys: z.boolean(),
  cmkKeySize: z.literal(3072, {
    error: () =>
      "must be 3072 (RSA bits: Azure SQL TDE accepts only 2048 or 3072, and PCI DSS asks for >= 128-bit strength)",
  }),
  keyRotationDays: int(30, 365, " days"),
  keyExpiryDays: int(60, 730, " days"),
  alertEmails: z.array(email).min(1, "must list at least one e-mail address"),
  enableFirewall: z.boolean(),
  enableDdosProtection: z.boolean(),
  protectStatefulResources: z.boolean(),
  platformAdminsGroupId: guid.optional(),
  databaseAdminsGroupId: guid.optional(),
  dataEngineersGroupId: guid.optional(),
  analystsGroupId: guid.optional(),
  fraudMlGroupId: guid.optional(),
  sql: sqlSchema,
  cosmos: cosmosSchema,
  /** Usage assumptions for the cost estimate (lib/usage.ts, docs/cost.md). */
  usage: usageSchema,
  /** Target load for the capacity model (lib/usage.ts, docs/capacity.md). */
  load: loadSchema,
  olap: olapSchema,
  ml: mlSchema.default(ML_DEV_DEFAULTS),
  // Absent: the dev-sized defaults (a stack that does not mention the tier still gets a valid, small one).
  ingestion: ingestionSchema.default({
    gateway: { minInstances: 0, maxInstances: 2, merchantCertificateRevocation: "OCSP" },
    tlsCertificateName: "agw-payments-api-tls",
    functions: {
      sku: "FC1",
      instanceMemoryMB: 2048,
      zoneRedundant: false,
      paymentApi: { maximumInstanceCount: 40, alwaysReady: 0 },
      fraudScoring: { maximumInstanceCount: 40, alwaysReady: 1, sqlTriggerPollingMs: 1_000 },
    },
  }),
  /** ETL tier (Data Factory); absent: the dev-sized defaults. */
  etl: etlSchema.default(ETL_DEV_DEFAULTS),
  /** Streaming tier (flow 3); absent: the dev sizes (prod's rules reject them). */
  streaming: streamingSchema.default({ ...STREAMING_DEV_DEFAULTS }),
  /**
   * How `enableDdosProtection` protects the stack's public IPs: `network` attaches a DDoS Network Protection plan to
   * the VNet (rapid response, cost protection, WAF discount; about $2,944/month for a plan of the stack's own, nothing
   * in this stack for an existing one, `ddosProtectionPlanId`), `ip` enables DDoS IP Protection on
   * each public IP instead (the same L3/L4 mitigation, per IP, about $199/month each; no rapid response, cost
   * protection or WAF discount: learn.microsoft.com/azure/ddos-protection/ddos-protection-sku-comparison).
   */
  ddosProtectionMode: z.enum(["network", "ip"], { error: () => "must be network or ip" }).default("network"),
  /**
   * With `ddosProtectionMode: network`: join this existing DDoS Network Protection plan (e.g. the hub's: one plan
   * protects virtual networks in every subscription of the tenant) instead of creating one. The deploy identity needs
   * `Microsoft.Network/ddosProtectionPlans/join/action` on it; the plan's subscription pays for it. Also what an Azure
   * Landing Zones `Enable-DDoS-VNET` assignment writes into every VNet (docs/operations.md).
   */
  ddosProtectionPlanId: ddosPlanId.optional(),
  /**
   * Who may write the function apps' deployment packages (components/shared/functionAppSettings.ts,
   * FUNCTION_PACKAGE_WRITES): `deploy-window` (default) refuses the apps' own identities every write in their package
   * container, and the deploy workflow grants a writer role for the ship only; `always` lets each app's identity
   * write its package at any time (the fallback, should Azure refuse the window).
   */
  functionPackageWrites: z
    .enum(FUNCTION_PACKAGE_WRITES, { error: () => `must be ${FUNCTION_PACKAGE_WRITES.join(" or ")}` })
    .default("deploy-window"),
  /** Operations tier: alert routing, SLA thresholds, budget, Sentinel, subscription governance. */
  operations: operationsSchema,
}).superRefine((c, ctx) => {
  if (c.secondaryLocation === c.location) {
    ctx.addIssue({
      code: "custom",
      path: ["secondaryLocation"],
      message: `must differ from location (${c.location})`,
    });
  }
  const zonal = `an EU region with availability zones: one of ${list(AVAILABILITY_ZONE_REGIONS)}`;
  if (!AVAILABILITY_ZONE_REGIONS.includes(c.location)) {
    ctx.addIssue({
      code: "custom",
      path: ["location"],
      message: `must be ${zonal} (the firewall, the gateway and the function host storage are zone-redundant)`,
    });
  }
  const zonalSecondary = [
    ...(c.sql.failoverGroup && c.sql.zoneRedundant ? ["sql.zoneRedundant with sql.failoverGroup"] : []),
    // The geo-secondary keeps the primary's backup storage redundancy (components/oltp replicaSettings).
    ...(c.sql.failoverGroup && ["Zone", "GeoZone"].includes(c.sql.backupStorageRedundancy)
      ? [`sql.backupStorageRedundancy ${c.sql.backupStorageRedundancy} with sql.failoverGroup`]
      : []),
    ...(c.cosmos.multiRegion && c.cosmos.zoneRedundant ? ["cosmos.zoneRedundant with cosmos.multiRegion"] : []),
  ];
  if (zonalSecondary.length > 0 && !AVAILABILITY_ZONE_REGIONS.includes(c.secondaryLocation)) {
    ctx.addIssue({
      code: "custom",
      path: ["secondaryLocation"],
      message: `must be ${zonal} (${zonalSecondary.join(" and ")} put a zone-redundant replica there)`,
    });
  }
  // A standby replica is a non-readable secondary: "400 InvalidTargetSubregion - The target server of a non-readable
  // secondary is not in a DR paired Azure region" (the Microsoft.Sql REST spec's errors for Databases and Failover
  // Groups - Create Or Update).
  if (c.sql.failoverGroup && c.sql.secondaryType === "Standby" && EU_REGION_PAIRS[c.location] !== c.secondaryLocation) {
    ctx.addIssue({
      code: "custom",
      path: ["secondaryLocation"],
      message: EU_REGION_PAIRS[c.location]
        ? `must be ${EU_REGION_PAIRS[c.location]}, the Azure region pair of ${c.location}, with sql.secondaryType Standby (Azure refuses a non-readable secondary outside the pair: InvalidTargetSubregion); or set sql.secondaryType to Geo`
        : `${c.location} has no Azure region pair, and Azure puts a Standby secondary only in the pair (InvalidTargetSubregion): set sql.secondaryType to Geo, or use a location with an EU pair (${list(Object.keys(EU_REGION_PAIRS))})`,
    });
  }
  const minRetention = c.environment === "prod" ? 365 : 90;
  if (c.logRetentionDays < minRetention) {
    ctx.addIssue({
      code: "custom",
      path: ["logRetentionDays"],
      message: `must be at least ${minRetention} days in ${c.environment} (PCI DSS 10.5.1)`,
    });
  }
  if (c.flowLogs.retentionDays !== undefined && c.flowLogs.retentionDays < minRetention) {
    ctx.addIssue({
      code: "custom",
      path: ["flowLogs", "retentionDays"],
      message: `must be at least ${minRetention} days in ${c.environment} (PCI DSS 10.5.1), or left out for logRetentionDays (${c.logRetentionDays}, at most 365)`,
    });
  }
  if (!c.sql.archiveTriggerAudit && c.sql.auditRetentionDays > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["sql", "auditRetentionDays"],
      message:
        "applies only with sql.archiveTriggerAudit true (it is the audit archive's retention; the workspace keeps the rest for logRetentionDays): remove it, or set sql.archiveTriggerAudit to true",
    });
  }
  if (c.sql.archiveTriggerAudit && c.sql.auditRetentionDays > 0 && c.sql.auditRetentionDays < minRetention) {
    ctx.addIssue({
      code: "custom",
      path: ["sql", "auditRetentionDays"],
      message: `must be at least ${minRetention} days in ${c.environment} (PCI DSS 10.5.1), or 0 for logRetentionDays (${c.logRetentionDays})`,
    });
  }
  if (c.hsmKeys && c.keyVaultSku !== "premium") {
    ctx.addIssue({ code: "custom", path: ["hsmKeys"], message: "HSM-backed keys need keyVaultSku premium" });
  }
  // Both keys are named at once: a prod stack with neither is told about each in one run.
  for (const key of ["hsmKeys", "protectStatefulResources"] as const) {
    if (c.environment === "prod" && !c[key])
      ctx.addIssue({ code: "custom", path: [key], message: "must be true in prod" });
  }
  if (c.environment === "prod" && c.ml.endpoint.instanceCount < 3) {
    ctx.addIssue({
      code: "custom",
      path: ["ml", "endpoint", "instanceCount"],
      message:
        "must be at least 3 in prod (Microsoft recommends 3+ instances for production online deployments: upgrades and node failures keep capacity)",
    });
  }
  // "creating a new instance can take around six or seven minutes. If you don't want to have this downtime, you can
  // configure a minimum instance count of 2" (application-gateway-autoscaling-zone-redundant): the payments API's
  // only way in keeps two instances, one per zone, whatever the traffic.
  if (c.environment === "prod" && c.ingestion.gateway.minInstances < 2) {
    ctx.addIssue({
      code: "custom",
      path: ["ingestion", "gateway", "minInstances"],
      message:
        "must be at least 2 in prod (a new Application Gateway instance takes about six or seven minutes: with fewer, an instance's failure or a traffic spike leaves the payments API short of capacity until it is up; Microsoft advises 2, with availability zones)",
    });
  }
  if (c.environment === "prod" && c.ml.compute.vmPriority === "LowPriority") {
    ctx.addIssue({
      code: "custom",
      path: ["ml", "compute", "vmPriority"],
      message: "must be Dedicated in prod (low-priority nodes can be preempted mid-training)",
    });
  }
  if (c.environment === "prod" && !c.enableDdosProtection) {
    ctx.addIssue({
      code: "custom",
      path: ["enableDdosProtection"],
      message: "must be true in prod (the payments API gateway's public IP is in the VNet; PCI DSS 6.4.2, 12.10)",
    });
  }
  // Without the firewall the function apps' egress is unfiltered: their route table sends 0.0.0.0/0 to it only when it
  // exists (components/platform/network.ts), and PCI DSS 1.3.2 restricts outbound traffic from the CDE.
  if (c.environment === "prod" && !c.enableFirewall) {
    ctx.addIssue({
      code: "custom",
      path: ["enableFirewall"],
      message:
        "must be true in prod (without Azure Firewall the function apps' outbound traffic is unfiltered; PCI DSS 1.3.2 restricts outbound traffic from the cardholder data environment)",
    });
  }
  // A plan to join is a Network Protection plan on the VNet: with IP Protection, or no protection, it would do nothing.
  if (c.ddosProtectionPlanId !== undefined && !(c.enableDdosProtection && c.ddosProtectionMode === "network")) {
    ctx.addIssue({
      code: "custom",
      path: ["ddosProtectionPlanId"],
      message: `joins the VNet to that plan only with enableDdosProtection true and ddosProtectionMode network (now ${c.enableDdosProtection} and ${c.ddosProtectionMode}): set both, or remove ddosProtectionPlanId`,
    });
  }
  // DDoS IP Protection is what `ip` turns on; with protection off, the mode would be accepted and do nothing.
  if (!c.enableDdosProtection && c.ddosProtectionMode === "ip") {
    ctx.addIssue({
      code: "custom",
      path: ["ddosProtectionMode"],
      message:
        "has no effect while enableDdosProtection is false: set enableDdosProtection to true, or leave ddosProtectionMode at network (its default: network or ip)",
    });
  }
  // The contact is part of the subscription's governance: without it, the setting would be accepted and do nothing.
  if (!c.operations.subscriptionGovernance && !c.operations.securityContact) {
    ctx.addIssue({
      code: "custom",
      path: ["operations", "securityContact"],
      message:
        "has no effect while operations.subscriptionGovernance is false (the stack then sets no security contact): remove it, or set subscriptionGovernance to true",
    });
  }
  if (c.environment === "prod" && !c.operations.sentinel) {
    ctx.addIssue({
      code: "custom",
      path: ["operations", "sentinel"],
      message: "must be true in prod (PCI DSS 10.4.1: security events of the cardholder data environment are reviewed)",
    });
  }
  // Key Vault rotates at least 7 days before expiry (its minimum), and the near-expiry notice (30 days before,
  // components/shared/cmk.ts) must find the version already rotated, or it pages on-call every cycle.
  if (c.keyExpiryDays < c.keyRotationDays + KEY_EXPIRY_NOTICE_DAYS) {
    ctx.addIssue({
      code: "custom",
      path: ["keyExpiryDays"],
      message: `must be at least keyRotationDays + ${KEY_EXPIRY_NOTICE_DAYS} (${c.keyRotationDays + KEY_EXPIRY_NOTICE_DAYS}) so keys rotate before the near-expiry notice (${KEY_EXPIRY_NOTICE_DAYS} days before expiry) and well before they expire`,
    });
  }
  if (c.environment === "prod" && c.cosmos.serverless) {
    ctx.addIssue({
      code: "custom",
      path: ["cosmos", "serverless"],
      message:
        "must be false in prod (a serverless account is single-region with no throughput to size for the target load, and becomes provisioned only through Azure's irreversible capacity-mode migration, not through this program: cosmos-db/nosql/how-to-change-capacity-mode)",
    });
  }
  if (c.environment === "prod" && !c.sql.failoverGroup) {
    ctx.addIssue({
      code: "custom",
      path: ["sql", "failoverGroup"],
      message:
        "must be true in prod (docs/disaster-recovery.md's SQL RTO and RPO rest on the geo-secondary and its group; turning it off would delete the protected secondary server and database, and move the apps' endpoint from the group's listener to the server)",
    });
  }
  if (c.environment === "prod" && c.streaming.eventHubs.sku !== "Premium") {
    ctx.addIssue({
      code: "custom",
      path: ["streaming", "eventHubs", "sku"],
      message:
        "must be Premium in prod (the namespace is encrypted with the platform's eventHubs customer-managed key, which Standard cannot use)",
    });
  }
  for (const issue of privateDnsIssues(c)) {
    ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  }
  for (const issue of olapIssues(c.olap, c.location, c.environment)) {
    ctx.addIssue({ code: "custom", path: ["olap", ...issue.path], message: issue.message });
  }
  for (const issue of offHoursWindowIssues(c.olap.pauseSchedule, c.streaming.freshnessMinutes)) {
    ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  }
  for (const issue of logLongTermRetentionIssues(c)) {
    ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  }
  const space = parseCidr(c.vnetAddressSpace);
  if (!space) return;
  if (!isPrivate(space)) {
    ctx.addIssue({
      code: "custom",
      path: ["vnetAddressSpace"],
      message: "must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
    });
  }
  for (const issue of subnetSizeIssues({
    subnets: c.subnets,
    gatewayMaxInstances: c.ingestion.gateway.maxInstances,
    environment: c.environment,
  })) {
    ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  }
  if (c.subnets) {
    const parsed: Record<string, Cidr> = {};
    for (const [role, text] of Object.entries(c.subnets)) {
      const sub = text ? parseCidr(text) : undefined;
      if (!sub) continue;
      parsed[role] = sub;
      if (!contains(space, sub)) {
        ctx.addIssue({
          code: "custom",
          path: ["subnets", role],
          message: `must lie inside vnetAddressSpace ${c.vnetAddressSpace}`,
        });
      }
    }
    for (const [a, b] of findOverlaps(parsed)) {
      ctx.addIssue({
        code: "custom",
        path: ["subnets", b],
        message: `overlaps subnets.${a} (${formatCidr(parsed[a])})`,
      });
    }
    for (const role of SUBNET_ROLES) {
      if (!(role in parsed)) {
        ctx.addIssue({
          code: "custom",
          path: ["subnets", role],
          message: `is missing: when subnets is set it must list every role (${list(SUBNET_ROLES)})`,
        });
      }
    }
  }
});

/**
 * The validator of the whole namespace (what parseConfig applies): tests/configDocs.spec.ts walks it to hold
 * docs/configuration.md to every key and setting it accepts.
 */
export const stackConfigSchema = schema;
