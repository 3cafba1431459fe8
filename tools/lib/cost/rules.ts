/**
 * Pricing rules: one per Azure resource type, each mapping the resource's own inputs (SKU, capacity, autoscale
 * maximum, zones, regions, retention) and the stack's usage assumptions to monthly lines over the price table.
 * Types with no charge of their own say why (`free`); types the table cannot price say why (`not-estimated`).
 */
import type { ResourceRecord } from "../policyRunner";
import { DAYS_PER_MONTH, HOURS_PER_MONTH as H } from "./prices";
import { TRIGGERS } from "../../../pipelines/etl/names";

/** The ETL's daily trigger: its run reads the OLTP database every night. */
const NIGHTLY_TRIGGER = TRIGGERS.nightly;
import {
  alwaysReadyInstances,
  armIdOf,
  scheduledHours,
  at,
  free,
  isSqlTriggerSettings,
  notEstimated,
  num,
  priced,
  scoringDeploymentOf,
  str,
  type LineSpec,
  type Rule,
  type RuleContext,
} from "./model";

const GIB = 1024 ** 3;
const AN = "azure-native";

// ---- Azure SQL ------------------------------------------------------------------------------------------------------

const sameDb = (a: ResourceRecord, server?: string, db?: string) =>
  str(a.inputs, "serverName") === server && str(a.inputs, "databaseName") === db;

/** The primary a geo-secondary copies (by its sourceDatabaseId's server and database names). */
function sourceOf(r: ResourceRecord, ctx: RuleContext): ResourceRecord | undefined {
  const id = str(r.inputs, "sourceDatabaseId") ?? "";
  const m = /\/servers\/([^/]+)\/databases\/([^/]+)$/i.exec(id);
  return m ? ctx.ofType(`${AN}:sql:Database`).find((d) => sameDb(d, m[1], m[2])) : undefined;
}

/** The stack's off-hours schedule when it stops this resource (olap.pauseSchedule.alsoStop), else undefined. */
const stoppingSchedule = (r: ResourceRecord | undefined, ctx: RuleContext) => {
  const id = r && armIdOf(r);
  return id !== undefined && ctx.offHours?.stoppedIds.has(id) ? ctx.offHours : undefined;
};

/**
 * The function app whose Azure SQL trigger polls this database (its SqlConnection setting names this server and
 * database), or undefined. Such an app keeps the database awake around the clock: its trigger needs an always-ready
 * instance on Flex (Azure/azure-functions-sql-extension#1235), and the fraud app's merchant refresh queries the
 * database every minute; only a stopped app lets it pause.
 */
function pollingTrigger(db: ResourceRecord, ctx: RuleContext): { label: string; stoppedOffHours: boolean } | undefined {
  const server = str(db.inputs, "serverName");
  const database = str(db.inputs, "databaseName");
  if (!server || !database) return undefined;
  for (const s of ctx.ofType(`${AN}:web:WebAppApplicationSettings`)) {
    if (!isSqlTriggerSettings(s)) continue;
    const conn = str(s.inputs, "properties.SqlConnection") ?? "";
    if (
      !new RegExp(`Server=(tcp:)?${server}\\.`, "i").test(conn) ||
      !new RegExp(`Database=${database};`, "i").test(`${conn};`)
    )
      continue;
    const app = ctx.ofType(`${AN}:web:WebApp`).find((a) => str(a.inputs, "name") === str(s.inputs, "name"));
    return {
      label: `the ${app?.name ?? str(s.inputs, "name")} SQL trigger`,
      stoppedOffHours: stoppingSchedule(app, ctx) !== undefined,
    };
  }
  return undefined;
}

export const sqlDatabase: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name");
  const vcores = num(r.inputs, "sku.capacity");
  if (!sku || !vcores) return notEstimated("no vCore SKU (sku.name/sku.capacity) on the database");
  const secondary = str(r.inputs, "createMode") === "Secondary";
  const zone = at(r.inputs, "zoneRedundant") === true;
  const label = `${sku} ${vcores} vCores${secondary ? " (geo-secondary)" : ""}`;
  const lines: LineSpec[] = [];
  let tier: "gp" | "bc" | "hs";
  if (sku === "GP_S_Gen5") {
    tier = "gp";
    const min = num(r.inputs, "minCapacity") ?? 0.5;
    const poller = pollingTrigger(r, ctx);
    const delay = num(r.inputs, "autoPauseDelay");
    // Awake hours at the minimum vCores: around the clock with auto-pause off or a trigger polling; with the polling
    // app stopped off hours, its running hours plus one auto-pause delay after each stop.
    // The nightly ETL (when the factory has its daily trigger) wakes it too: its activity hours, then the delay.
    const nightly = ctx
      .ofType(`${AN}:datafactory:Trigger`)
      .some((t) => str(t.inputs, "triggerName") === NIGHTLY_TRIGGER);
    const awakeHours =
      delay === -1 || (poller && !poller.stoppedOffHours)
        ? H
        : poller && ctx.offHours
          ? ctx.offHours.runningHoursPerMonth +
            (ctx.offHours.stopsPerMonth * (delay ?? 60)) / 60 +
            (nightly ? DAYS_PER_MONTH * (ctx.usage.managedVnetActivityHoursPerDay + (delay ?? 60) / 60) : 0)
          : 0;
    const vh = Math.max(ctx.usage.sqlServerlessVcoreHoursPerMonth, min * awakeHours);
    const awake = poller
      ? poller.stoppedOffHours && ctx.offHours
        ? ` (awake while ${poller.label} polls it: ${ctx.offHours.label}, and for the nightly ETL; auto-pauses otherwise)`
        : ` (never auto-pauses: ${poller.label} polls it)`
      : "";
    lines.push({
      meter: `Serverless compute ${label}${awake}`,
      priceId: "sql-serverless",
      quantity: vh,
      ...(poller
        ? {
            note: "auto-pause needs no session and no CPU for the whole delay (serverless-tier-overview); the app's Azure SQL trigger polls every few hundred ms from its always-ready instance",
          }
        : {}),
    });
    if (zone) lines.push({ meter: "Serverless zone redundancy", priceId: "sql-serverless-zone", quantity: vh });
  } else if (/^(GP|BC|HS)_Gen5$/.test(sku)) {
    tier = sku.slice(0, 2).toLowerCase() as "gp" | "bc" | "hs";
    const vh = vcores * H;
    lines.push({ meter: `Compute ${label}`, priceId: `sql-${tier}-compute`, quantity: vh });
    lines.push({ meter: "SQL license", priceId: tier === "bc" ? "sql-license-bc" : "sql-license-gp", quantity: vh });
    if (zone && tier === "gp") lines.push({ meter: "Zone redundancy", priceId: "sql-gp-zone", quantity: vh });
    const replicas = tier === "hs" ? (num(r.inputs, "highAvailabilityReplicaCount") ?? 0) : 0;
    if (replicas > 0) {
      lines.push({ meter: `HA replicas ×${replicas}`, priceId: "sql-hs-compute", quantity: vh * replicas });
      lines.push({ meter: "HA replicas licence", priceId: "sql-license-gp", quantity: vh * replicas });
    }
  } else {
    return notEstimated(`SKU ${sku} has no price row (priced: GP_S_Gen5, GP_Gen5, BC_Gen5, HS_Gen5)`);
  }
  const source = secondary ? sourceOf(r, ctx) : r;
  const bytes = num(r.inputs, "maxSizeBytes") ?? (source ? num(source.inputs, "maxSizeBytes") : undefined);
  const gb = (bytes ?? 32 * GIB) / GIB;
  const storageId = tier === "gp" ? (zone ? "sql-storage-gp-zone" : "sql-storage-gp") : `sql-storage-${tier}`;
  lines.push({ meter: `Data storage ${gb} GB (max size)`, priceId: storageId, quantity: gb });
  const redundancy = str(r.inputs, "requestedBackupStorageRedundancy") ?? "Geo";
  const ltr = ctx
    .ofType(`${AN}:sql:LongTermRetentionPolicy`)
    .some((p) => sameDb(p, str(r.inputs, "serverName"), str(r.inputs, "databaseName")));
  // A geo-secondary's policy only takes over after a failover: "Your LTR storage cost doesn't increase, as backups
  // aren't generated from the secondaries" (MicrosoftDocs/azure-sql-docs long-term-retention-overview.md).
  if (ltr && !secondary && ctx.usage.sqlLtrBackupGb > 0) {
    lines.push({
      meter: `Long-term retention backups (${redundancy})`,
      priceId: `sql-ltr-${redundancy === "GeoZone" ? "Geo" : redundancy}`,
      quantity: ctx.usage.sqlLtrBackupGb,
    });
  }
  return priced(...lines);
};

// ---- Cosmos DB ------------------------------------------------------------------------------------------------------

function account(r: ResourceRecord, ctx: RuleContext): ResourceRecord | undefined {
  const name = str(r.inputs, "accountName");
  return ctx.ofType(`${AN}:cosmosdb:DatabaseAccount`).find((a) => str(a.inputs, "accountName") === name);
}
export const cosmosRegions = (a: ResourceRecord | undefined): number =>
  Math.max(1, (at(a?.inputs, "locations") as unknown[] | undefined)?.length ?? 1);
/**
 * Region multiplier for manual throughput and serverless RUs: regions with availability zones are charged at a
 * 25 % premium, waived for autoscale containers and multi-region-write accounts (MicrosoftDocs/azure-docs
 * articles/reliability/reliability-cosmos-db-nosql.md, "SLA improvements", commit 18a397c).
 */
const AZ_PREMIUM = 1.25;
const zoneWeightedRegions = (a: ResourceRecord | undefined): number => {
  const locs = (at(a?.inputs, "locations") as { isZoneRedundant?: boolean }[] | undefined) ?? [{}];
  return locs.reduce((s, l) => s + (l.isZoneRedundant === true ? AZ_PREMIUM : 1), 0);
};
const isServerless = (a: ResourceRecord | undefined) =>
  ((at(a?.inputs, "capabilities") as { name?: string }[] | undefined) ?? []).some((c) => c.name === "EnableServerless");

export const cosmosAccount: Rule = (r, ctx) => {
  const regions = cosmosRegions(r);
  const lines: LineSpec[] = [];
  if (isServerless(r)) {
    const az = zoneWeightedRegions(r);
    lines.push({
      meter: `Serverless request units${az > 1 ? " (× 1.25 availability zones)" : ""}`,
      priceId: "cosmos-serverless",
      quantity: ctx.usage.cosmosServerlessMillionRu * az,
    });
  }
  lines.push({
    meter: `Storage ${ctx.usage.cosmosStorageGb} GB × ${regions} region(s)`,
    priceId: "cosmos-storage",
    quantity: ctx.usage.cosmosStorageGb * regions,
  });
  if (str(r.inputs, "backupPolicy.continuousModeProperties.tier") === "Continuous30Days") {
    lines.push({
      meter: `Continuous backup 30 days × ${regions} region(s)`,
      priceId: "cosmos-continuous-30d",
      quantity: ctx.usage.cosmosStorageGb * regions,
    });
  }
  return priced(...lines);
};

/** Throughput lines of a container or a database with shared throughput. */
const cosmosThroughput: Rule = (r, ctx) => {
  const acct = account(r, ctx);
  const regions = cosmosRegions(acct);
  const multiWrite = at(acct?.inputs, "enableMultipleWriteLocations") === true;
  if (multiWrite) return notEstimated("multi-region-write throughput has no price row (single write region only)");
  const max = num(r.inputs, "options.autoscaleSettings.maxThroughput");
  const manual = num(r.inputs, "options.throughput");
  if (max !== undefined) {
    const billed = max * ctx.usage.cosmosAutoscaleBilledFraction;
    return priced({
      meter: `Autoscale ≤ ${max.toLocaleString("en-US")} RU/s, billed ${Math.round(billed).toLocaleString("en-US")} RU/s avg × ${regions} region(s)`,
      priceId: "cosmos-autoscale",
      quantity: (billed / 100) * H * regions,
      note: "usage.cosmosAutoscaleBilledFraction of the maximum (autoscale floor: 10 %); no availability-zone premium on autoscale",
    });
  }
  if (manual !== undefined) {
    const weighted = zoneWeightedRegions(acct);
    return priced({
      meter: `Manual ${manual.toLocaleString("en-US")} RU/s × ${regions} region(s)${weighted > regions ? " (zone-redundant regions × 1.25)" : ""}`,
      priceId: "cosmos-standard",
      quantity: (manual / 100) * H * weighted,
    });
  }
  return free(
    isServerless(acct)
      ? "serverless account: request units are billed on the account"
      : "no dedicated throughput: uses the database's shared throughput",
  );
};
export const cosmosContainer = cosmosThroughput;
export const cosmosDatabase = cosmosThroughput;

// ---- Networking -----------------------------------------------------------------------------------------------------

export const firewall: Rule = (r, ctx) => {
  const tier = str(r.inputs, "sku.tier") ?? "Standard";
  if (tier !== "Premium" && tier !== "Standard") return notEstimated(`Azure Firewall ${tier} has no price row`);
  return priced(
    { meter: `Azure Firewall ${tier}`, priceId: `firewall-${tier.toLowerCase()}`, quantity: H },
    {
      meter: `Data processed ${ctx.usage.firewallProcessedGbPerMonth} GB`,
      priceId: "firewall-data",
      quantity: ctx.usage.firewallProcessedGbPerMonth,
    },
  );
};

export const ddosPlan: Rule = () =>
  priced({ meter: "DDoS Network Protection plan", priceId: "ddos-plan", quantity: 1 });

export const privateEndpoint: Rule = (r, ctx) => {
  const count = ctx.ofType(r.type).length;
  return priced(
    { meter: "Private endpoint", priceId: "private-endpoint", quantity: H },
    {
      meter: `Data processed (share of ${ctx.usage.privateLinkGbPerMonth} GB over ${count} endpoints)`,
      priceId: "private-endpoint-data",
      quantity: ctx.usage.privateLinkGbPerMonth / count,
    },
  );
};

export const publicIp: Rule = (r) => {
  const sku = str(r.inputs, "sku.name") ?? "Basic";
  if (sku !== "Standard" || str(r.inputs, "sku.tier") === "Global")
    return notEstimated(
      `public IP ${sku}/${str(r.inputs, "sku.tier") ?? ""} has no price row (Standard regional only)`,
    );
  const lines: LineSpec[] = [{ meter: "Public IP, Standard static", priceId: "public-ip-static", quantity: H }];
  if (str(r.inputs, "ddosSettings.protectionMode") === "Enabled")
    lines.push({ meter: "DDoS IP Protection", priceId: "ddos-ip-protection", quantity: 1 });
  return priced(...lines);
};

export const privateDnsZone: Rule = () =>
  priced({ meter: "Private DNS zone", priceId: "private-dns-zone", quantity: 1 });

export const natGateway: Rule = () => priced({ meter: "NAT gateway", priceId: "nat-gateway", quantity: H });

/**
 * Application Gateway v2: fixed gateway hours plus capacity units. Each reserved instance (fixed capacity or the
 * autoscale minimum) is billed as at least 10 capacity units
 * (https://learn.microsoft.com/azure/application-gateway/understanding-pricing).
 */
export const applicationGateway: Rule = (r, ctx) => {
  const tier = str(r.inputs, "sku.tier") ?? str(r.inputs, "sku.name");
  if (tier !== "WAF_v2" && tier !== "Standard_v2")
    return notEstimated(`Application Gateway ${tier ?? "?"} has no price row (WAF_v2 and Standard_v2 only)`);
  const minInstances = num(r.inputs, "autoscaleConfiguration.minCapacity") ?? num(r.inputs, "sku.capacity") ?? 0;
  const cu = Math.max(ctx.usage.appGatewayCapacityUnits, minInstances * 10);
  // Under a DDoS Network Protection plan the WAF is not charged: WAF_v2 bills at the Standard_v2 rates
  // (understanding-pricing, Example 6). The plan covers the gateway when the stack's virtual network carries one
  // (enableDdosProtection with a plan: the platform has one VNet) and the gateway's public IP inherits from it.
  const pipIds = (
    (at(r.inputs, "frontendIPConfigurations") as { publicIPAddress?: { id?: string } }[] | undefined) ?? []
  )
    .map((f) => f.publicIPAddress?.id)
    .filter((x): x is string => x !== undefined);
  // A public IP inherits from its virtual network unless it says otherwise (Enabled: IP Protection; Disabled: none).
  const inherits = ctx
    .ofType(`${AN}:network:PublicIPAddress`)
    .filter((p) => pipIds.includes(armIdOf(p) ?? ""))
    .every(
      (p) => (str(p.inputs, "ddosSettings.protectionMode") ?? "VirtualNetworkInherited") === "VirtualNetworkInherited",
    );
  const vnetPlan = ctx
    .ofType(`${AN}:network:VirtualNetwork`)
    .some((v) => at(v.inputs, "enableDdosProtection") === true && str(v.inputs, "ddosProtectionPlan.id") !== undefined);
  const plan = tier === "WAF_v2" && inherits && vnetPlan;
  const standard = tier === "Standard_v2" || plan;
  const [fixed, unit] = standard ? ["appgw-standard-v2", "appgw-standard-v2-cu"] : ["appgw-waf-v2", "appgw-waf-v2-cu"];
  // Stopped off hours (olap.pauseSchedule.alsoStop): both parts are billed while it is "provisioned and available
  // for processing requests" (understanding-pricing), i.e. the hours it runs.
  const schedule = stoppingSchedule(r, ctx);
  const hours = schedule ? schedule.runningHoursPerMonth : H;
  const when = schedule ? `, ${Math.round(hours)} h/month running (stopped off hours: ${schedule.label})` : "";
  const note = plan ? "WAF_v2 at Standard_v2 rates: the stack's DDoS Network Protection plan covers it" : undefined;
  return priced(
    { meter: `${tier} gateway${when}`, priceId: fixed, quantity: hours, note },
    {
      meter: `Capacity units (${cu} CU average, ≥ 10 per reserved instance)${when}`,
      priceId: unit,
      quantity: cu * hours,
      note,
    },
  );
};

// ---- Monitoring and keys --------------------------------------------------------------------------------------------

/**
 * Days of interactive retention a workspace gets without charge: 31, or 90 when Microsoft Sentinel is onboarded on
 * it ("Retain all data ingested into the workspace at no charge for the first 90 days": MicrosoftDocs/azure-docs
 * articles/sentinel/billing.md).
 */
export function includedRetentionDays(r: ResourceRecord, ctx: RuleContext): 31 | 90 {
  const name = str(r.inputs, "workspaceName");
  const onboarded = ctx
    .ofType(`${AN}:securityinsights:SentinelOnboardingState`)
    .some((s) => name !== undefined && str(s.inputs, "workspaceName") === name);
  return onboarded ? 90 : 31;
}

export const logAnalytics: Rule = (r, ctx) => {
  const gbDay = ctx.usage.logIngestionGbPerDay;
  const retention = num(r.inputs, "retentionInDays") ?? 30;
  const included = includedRetentionDays(r, ctx);
  const lines: LineSpec[] = [
    { meter: `Ingestion ${gbDay} GB/day`, priceId: "log-analytics-ingestion", quantity: gbDay * DAYS_PER_MONTH },
  ];
  if (retention > included) {
    lines.push({
      meter: `Retention ${retention} days (beyond the included ${included}${included === 90 ? ", Sentinel" : ""})`,
      priceId: "log-analytics-retention",
      quantity: gbDay * (retention - included),
      note: `steady state: each day's ingestion kept for the retention beyond ${included} days`,
    });
  }
  return priced(...lines);
};

const isoDays = (d?: string) => {
  const m = /^P(\d+)([DWMY])$/.exec(d ?? "");
  return m ? Number(m[1]) * { D: 1, W: 7, M: 30.42, Y: 365 }[m[2] as "D" | "W" | "M" | "Y"] : undefined;
};

export const keyVaultKey: Rule = (r, ctx) => {
  const kty = str(r.inputs, "properties.kty") ?? "RSA";
  const size = num(r.inputs, "properties.keySize") ?? 2048;
  const hsm = kty.endsWith("-HSM");
  const lines: LineSpec[] = [];
  if (hsm) {
    lines.push({
      meter: `HSM-protected key ${kty} ${size}`,
      priceId: size >= 3072 ? "kv-hsm-key-rsa3072" : "kv-hsm-key-rsa2048",
      quantity: 1,
    });
  }
  const actions = (at(r.inputs, "properties.rotationPolicy.lifetimeActions") as unknown[] | undefined) ?? [];
  const rotate = actions.find((a) => str(a, "action.type")?.toLowerCase() === "rotate");
  const days = isoDays(str(rotate, "trigger.timeAfterCreate"));
  if (days)
    lines.push({
      meter: `Automated rotation every ${Math.round(days)} days`,
      priceId: "kv-rotation",
      quantity: DAYS_PER_MONTH / days,
    });
  if (hsm || size >= 3072) {
    const keys = ctx.ofType(r.type).length;
    lines.push({
      meter: `Cryptographic operations (share of ${ctx.usage.keyVaultTenThousandOpsPerMonth}×10K over ${keys} keys)`,
      priceId: "kv-advanced-ops",
      quantity: ctx.usage.keyVaultTenThousandOpsPerMonth / keys,
    });
  }
  return lines.length > 0 ? priced(...lines) : free("software RSA 2048 key: no monthly key fee; operations negligible");
};

// ---- Analytics, integration, compute (tiers being built) -------------------------------------------------------------

export const synapsePool: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "";
  const m = /^DW(\d+)c$/.exec(sku);
  if (!m) return notEstimated(`dedicated pool SKU '${sku}' is not a DWxxxc Gen2 SKU`);
  const units = Number(m[1]) / 100;
  // A factory schedule that resumes the pool every morning keeps it running at least until its pause: the usage
  // assumption cannot be lower than that (a pool resumed on demand has only the pause trigger: the assumption holds).
  const scheduled = scheduledHours(ctx.resources, TRIGGERS.poolResume, TRIGGERS.poolPause);
  const hours = Math.round(Math.max(ctx.usage.synapsePoolHoursPerMonth, scheduled?.runningHoursPerMonth ?? 0));
  return priced(
    {
      meter: `Dedicated pool ${sku}, ${hours} h/month running${scheduled && hours > ctx.usage.synapsePoolHoursPerMonth ? ` (resumed ${scheduled.label} by the factory's schedule)` : ""}`,
      priceId: "synapse-dw100c",
      quantity: units * hours,
      noReservation: hours < H,
      note: hours < H ? "paused part of the month: pay-as-you-go, no reservation" : undefined,
    },
    {
      meter: `Pool storage ${ctx.usage.synapseStorageTb} TB`,
      priceId: "synapse-storage",
      quantity: ctx.usage.synapseStorageTb,
    },
  );
};

const STORAGE_REDUNDANCY: Record<string, string> = {
  LRS: "LRS",
  GRS: "GRS",
  RAGRS: "RAGRS",
  ZRS: "ZRS",
  GZRS: "GZRS",
  RAGZRS: "RAGZRS",
};
export const storageAccount: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "Standard_LRS";
  const [perf, red] = sku.split("_");
  const redundancy = STORAGE_REDUNDANCY[red ?? ""];
  if (perf !== "Standard" || !redundancy)
    return notEstimated(`storage SKU ${sku} has no price row (Standard LRS/ZRS/GRS/RAGRS/GZRS/RAGZRS block blob only)`);
  const lake = at(r.inputs, "isHnsEnabled") === true;
  if (!lake) {
    const gb = ctx.usage.otherStorageGbPerAccount;
    return priced({ meter: `Hot ${gb} GB (${redundancy})`, priceId: `storage-hot-${redundancy}`, quantity: gb });
  }
  const coldAge = lakeColdAgeDays(r, ctx);
  const spanDays = ctx.usage.lakeCoolVolumeMonths * DAYS_PER_MONTH;
  // A steady inflow over the span: what is older than the cold age has moved to cold (conservative: the policy's
  // latest cold age, see lakeColdAgeDays).
  const coldGb =
    coldAge !== undefined && spanDays > coldAge ? Math.round(ctx.usage.lakeCoolGb * (1 - coldAge / spanDays)) : 0;
  const coolGb = ctx.usage.lakeCoolGb - coldGb;
  return priced(
    {
      meter: `Data lake hot ${ctx.usage.lakeHotGb} GB (${redundancy})`,
      priceId: `storage-hot-${redundancy}`,
      quantity: ctx.usage.lakeHotGb,
    },
    {
      meter: `Data lake cool ${coolGb} GB (${redundancy})`,
      priceId: `storage-cool-${redundancy}`,
      quantity: coolGb,
    },
    ...(coldGb > 0
      ? [
          {
            meter: `Data lake cold ${coldGb} GB (${redundancy}; lifecycle: cold after ${coldAge} days, of ${ctx.usage.lakeCoolVolumeMonths} months of data)`,
            priceId: `storage-cold-${redundancy}`,
            quantity: coldGb,
          },
        ]
      : []),
  );
};

/**
 * The age (days since modification) at which the account's lifecycle policy moves block blobs to the cold tier: the
 * latest of its rules' `tierToCold` (the conservative reading when zones differ), or undefined without one.
 */
function lakeColdAgeDays(account: ResourceRecord, ctx: RuleContext): number | undefined {
  const name = str(account.inputs, "accountName");
  const ages = ctx
    .ofType(`${AN}:storage:ManagementPolicy`)
    .filter((p) => name !== undefined && str(p.inputs, "accountName") === name)
    .flatMap((p) => (at(p.inputs, "policy.rules") as unknown[] | undefined) ?? [])
    .map((rule) => num(rule, "definition.actions.baseBlob.tierToCold.daysAfterModificationGreaterThan"))
    .filter((d): d is number => d !== undefined);
  return ages.length > 0 ? Math.max(...ages) : undefined;
}

export const dataFactory: Rule = (_r, ctx) => {
  const u = ctx.usage;
  return priced(
    {
      meter: `Activity runs (${u.pipelineRunsPerDay} runs/day × ${u.activitiesPerRun} activities)`,
      priceId: "adf-activity-runs",
      quantity: (u.pipelineRunsPerDay * u.activitiesPerRun * DAYS_PER_MONTH) / 1000,
    },
    {
      meter: `Copy ${u.copyDiuHoursPerDay} DIU-hours/day`,
      priceId: "adf-diu",
      quantity: u.copyDiuHoursPerDay * DAYS_PER_MONTH,
    },
    {
      meter: `Managed VNet activity ${u.managedVnetActivityHoursPerDay} h/day`,
      priceId: "adf-managed-vnet-activity",
      quantity: u.managedVnetActivityHoursPerDay * DAYS_PER_MONTH,
    },
  );
};

export const eventHubsNamespace: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "Standard";
  const units = num(r.inputs, "sku.capacity") ?? 1;
  if (sku === "Standard") {
    const ns = str(r.inputs, "namespaceName");
    const capture = ctx
      .ofType(`${AN}:eventhub:EventHub`)
      .some((h) => str(h.inputs, "namespaceName") === ns && at(h.inputs, "captureDescription.enabled") === true);
    return priced(
      { meter: `Standard ${units} TU`, priceId: "eventhubs-standard-tu", quantity: units * H },
      {
        meter: "Ingress events",
        priceId: "eventhubs-standard-ingress",
        quantity: ctx.usage.eventHubsMillionEventsPerMonth,
      },
      ...(capture ? [{ meter: `Capture × ${units} TU`, priceId: "eventhubs-capture", quantity: units }] : []),
    );
  }
  if (sku === "Premium")
    return priced({ meter: `Premium ${units} PU`, priceId: "eventhubs-premium-pu", quantity: units * H });
  return notEstimated(`Event Hubs ${sku} has no price row (Standard, Premium)`);
};

/**
 * Streaming units of a job from its own inputs: `transformation.streamingUnits` (V1: 1, 3, 6, …; V2 in the REST
 * integer form 3, 7, 10, 20, … where 10 is one SU V2, learn.microsoft.com/azure/stream-analytics/
 * stream-analytics-streaming-unit-consumption), else `sku.capacity` (API 2021-10-01-preview).
 */
export function streamingUnits(props: unknown): { units: number; v2: boolean } | undefined {
  const v2 = /V2$/i.test(str(props, "sku.name") ?? "");
  const raw = num(props, "transformation.streamingUnits") ?? num(props, "transformation.properties.streamingUnits");
  const cap = num(props, "sku.capacity");
  if (raw !== undefined) return { units: v2 ? raw / 10 : raw, v2 };
  if (cap !== undefined) return { units: v2 ? cap / 10 : cap, v2 };
  return undefined;
}

const asaJobFrom = (props: unknown, ctx: RuleContext, r?: ResourceRecord) => {
  if (str(props, "cluster.id")) return free("runs on a Stream Analytics cluster: billed on the cluster's capacity");
  const su = streamingUnits(props);
  if (!su) return notEstimated("no streaming units on the job (transformation.streamingUnits or sku.capacity)");
  const schedule = stoppingSchedule(r, ctx);
  const hours = Math.min(ctx.usage.streamingJobHoursPerMonth, schedule?.runningHoursPerMonth ?? Infinity);
  return priced({
    meter: `${su.units} streaming unit(s)${su.v2 ? " V2" : ""}, ${Math.round(hours)} h/month running${schedule ? ` (stopped off hours: ${schedule.label})` : ""}`,
    priceId: "asa-su",
    quantity: su.units * hours,
    note: su.v2 ? "V2 units priced at the V1 unit rate (upper bound; no stored V2 figure)" : undefined,
  });
};
export const streamAnalytics: Rule = (r, ctx) => asaJobFrom(r.inputs, ctx, r);

/** A dedicated Stream Analytics cluster: its capacity in streaming units, around the clock (36-SU minimum, V1 API). */
export const streamAnalyticsCluster: Rule = (r) => {
  const cap = num(r.inputs, "sku.capacity") ?? 36;
  return priced({ meter: `Cluster ${cap} streaming units`, priceId: "asa-su", quantity: cap * H });
};

const EP: Record<string, { vcpu: number; gb: number }> = {
  EP1: { vcpu: 1, gb: 3.5 },
  EP2: { vcpu: 2, gb: 7 },
  EP3: { vcpu: 4, gb: 14 },
};
const r2 = (n: number) => Math.round(n * 100) / 100;
/** The Flex Consumption function apps of the stack (the usage's executions and GB-s are shared among them). */
const flexApps = (ctx: RuleContext) =>
  ctx.ofType(`${AN}:web:WebApp`).filter((a) => at(a.inputs, "functionAppConfig") !== undefined);
export const appServicePlan: Rule = (r) => {
  const sku = str(r.inputs, "sku.name") ?? "";
  const n = num(r.inputs, "sku.capacity") ?? 1;
  if (sku === "FC1")
    return free(
      "FC1 (Flex Consumption) plan: execution time, executions and the always-ready baseline are billed on its function apps",
    );
  if (sku === "Y1") return free("Y1 (consumption) plan: executions are billed on its function apps");
  const ep = EP[sku];
  if (ep) {
    return priced(
      { meter: `${sku} vCPU × ${n} instance(s)`, priceId: "functions-ep-vcpu", quantity: ep.vcpu * n * H },
      { meter: `${sku} memory × ${n} instance(s)`, priceId: "functions-ep-memory", quantity: ep.gb * n * H },
    );
  }
  return priced({ meter: `${sku} × ${n} instance(s)`, priceId: `appservice-${sku}`, quantity: n * H });
};

/** Seconds in the estimator's month. */
const SECONDS = H * 3600;
/**
 * A Flex Consumption app: its share of the stack's execution time and executions (usage.functionGbSecondsPerMonth and
 * usage.functionMillionExecutionsPerMonth, split evenly over the Flex apps), and, with always-ready instances, their
 * baseline: each instance's memory around the clock, executing or not. Execution on always-ready instances bills at
 * the always-ready rate; the share is put on them first (they take work before on-demand instances are added), up to
 * what they hold. A stopped app is still billed its baseline here: Microsoft does not say a stopped app's always-ready
 * instances stop billing, so the line is an upper bound for an app stopped off hours.
 */
export const webApp: Rule = (r, ctx) => {
  if (at(r.inputs, "functionAppConfig") === undefined) return free("billed on its App Service plan");
  const flex = flexApps(ctx).length;
  const gbs = ctx.usage.functionGbSecondsPerMonth / flex;
  const millions = ctx.usage.functionMillionExecutionsPerMonth / flex;
  const ready = alwaysReadyInstances(r);
  const gb = (num(r.inputs, "functionAppConfig.scaleAndConcurrency.instanceMemoryMB") ?? 2048) / 1024;
  const baseline = ready * gb * SECONDS;
  const onReady = Math.min(gbs, baseline);
  const stopped = stoppingSchedule(r, ctx)?.label;
  const share = `share of ${ctx.usage.functionGbSecondsPerMonth.toLocaleString("en-US")} GB-s over ${flex} apps`;
  return priced(
    ...(ready > 0
      ? [
          {
            meter: `Always-ready baseline ${ready} × ${gb * 1024} MB around the clock`,
            priceId: "functions-flex-ar-baseline",
            quantity: baseline,
            note: stopped
              ? `stopped off hours (${stopped}): billed around the clock here, an upper bound (no Microsoft statement that a stopped app's always-ready instances stop billing)`
              : undefined,
          },
          {
            meter: `Execution time on always-ready instances (${share})`,
            priceId: "functions-flex-ar-gbs",
            quantity: onReady,
          },
        ]
      : []),
    ...(gbs > onReady
      ? [{ meter: `Execution time on demand (${share})`, priceId: "functions-flex-gbs", quantity: gbs - onReady }]
      : []),
    {
      meter: `Executions (${r2(millions)} million a month: share of usage.functionMillionExecutionsPerMonth)`,
      priceId: "functions-flex-executions",
      quantity: millions,
    },
  );
};

const VM_ROWS = ["Standard_D2s_v3", "Standard_D4s_v3", "Standard_DS1_v2", "Standard_DS2_v2", "Standard_DS3_v2"];
const vmRow = (size?: string) => (size && VM_ROWS.includes(size) ? `vm-${size}` : undefined);
export const mlCompute: Rule = (r, ctx) => {
  const type = str(r.inputs, "properties.computeType");
  const size = str(r.inputs, "properties.properties.vmSize");
  const row = vmRow(size);
  if (type !== "AmlCompute" && type !== "ComputeInstance")
    return free(`${type ?? "attached"} compute: billed on the attached resource`);
  if (!row) return notEstimated(`no price row for VM size ${size ?? "?"} (priced: ${VM_ROWS.join(", ")})`);
  if (type === "ComputeInstance") return priced({ meter: `Compute instance ${size}`, priceId: row, quantity: H });
  const min = num(r.inputs, "properties.properties.scaleSettings.minNodeCount") ?? 0;
  return priced({
    meter: `Cluster ${size}: ${min} min nodes + ${ctx.usage.mlClusterNodeHoursPerMonth} node-hours`,
    priceId: row,
    quantity: min * H + ctx.usage.mlClusterNodeHoursPerMonth,
  });
};

export const mlOnlineDeployment: Rule = (r) => {
  const size = str(r.inputs, "properties.instanceType");
  const row = vmRow(size);
  if (!row) return notEstimated(`no price row for instance type ${size ?? "?"} (priced: ${VM_ROWS.join(", ")})`);
  const n = num(r.inputs, "properties.scaleSettings.minInstances") ?? num(r.inputs, "sku.capacity") ?? 1;
  return priced({ meter: `Managed online deployment ${size} × ${n}`, priceId: row, quantity: n * H });
};

/**
 * A managed online endpoint costs what its deployment's instances cost, around the clock. The fraud endpoint's
 * deployments are released by the ML pipeline at the size the stack states (`ml.endpoint`, exported with the
 * endpoint's name): priced from that output, so an endpoint is never a silent zero.
 */
export const mlOnlineEndpoint: Rule = (r, ctx) => {
  const name = str(r.inputs, "endpointName");
  if (ctx.ofType(`${AN}:machinelearningservices:OnlineDeployment`).some((d) => str(d.inputs, "endpointName") === name))
    return free("priced on its deployments, which the stack declares");
  const d = scoringDeploymentOf(r, ctx.resources);
  if (!d)
    return notEstimated(
      "its deployments are released outside the stack and no stack output states their size (endpointName + deployment {instanceType, instanceCount})",
    );
  const row = vmRow(d.instanceType);
  if (!row) return notEstimated(`no price row for instance type ${d.instanceType} (priced: ${VM_ROWS.join(", ")})`);
  return priced({
    meter: `Managed online deployment ${d.instanceType} × ${d.instanceCount} (the stack's size; released by the ML pipeline)`,
    priceId: row,
    quantity: d.instanceCount * H,
  });
};

export const containerRegistry: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "";
  const included = { Basic: 10, Premium: 500 }[sku];
  if (included === undefined) return notEstimated(`Container Registry ${sku} has no price row (Basic, Premium)`);
  const lines: LineSpec[] = [
    { meter: `${sku} registry`, priceId: `acr-${sku.toLowerCase()}`, quantity: DAYS_PER_MONTH },
  ];
  const over = ctx.usage.containerRegistryGb - included;
  if (over > 0) lines.push({ meter: `Storage over ${included} GB`, priceId: "acr-storage", quantity: over });
  return priced(...lines);
};

export const acrReplication: Rule = () =>
  priced({ meter: "Geo-replica (Premium)", priceId: "acr-premium", quantity: DAYS_PER_MONTH });

// ---- Data Factory integration runtime (managed virtual network) ------------------------------------------------------

/**
 * A managed-VNet Azure IR keeps its compute warm for the time-to-live after the last activity of each ETL window, and
 * bills it: copy compute at its DIUs, pipeline/external compute at the managed-VNet hourly rate (wave-2 facts §2.1,
 * §7; learn.microsoft.com/azure/data-factory/managed-virtual-network-private-endpoint, "time to live").
 */
export const integrationRuntime: Rule = (r, ctx) => {
  const p = at(r.inputs, "properties");
  if (str(p, "type") !== "Managed")
    return free("self-hosted IR: no ADF charge of its own (its activities are priced on the factory)");
  if (at(p, "managedVirtualNetwork") === undefined)
    return free("Azure IR without a managed virtual network: its activity hours are priced on the factory");
  const windows = ctx.usage.etlWindowsPerDay * DAYS_PER_MONTH;
  const lines: LineSpec[] = [];
  const copyTtl = num(p, "computeProperties.copyComputeScaleProperties.timeToLive") ?? 0;
  const dius = num(p, "computeProperties.copyComputeScaleProperties.dataIntegrationUnit") ?? 4;
  if (copyTtl > 0)
    lines.push({
      meter: `Copy compute TTL ${copyTtl} min × ${dius} DIU after each ETL window`,
      priceId: "adf-diu",
      quantity: (copyTtl / 60) * dius * windows,
    });
  const pipeTtl = num(p, "computeProperties.pipelineExternalComputeScaleProperties.timeToLive") ?? 0;
  if (pipeTtl > 0)
    lines.push({
      meter: `Pipeline/external compute TTL ${pipeTtl} min after each ETL window`,
      priceId: "adf-managed-vnet-activity",
      quantity: (pipeTtl / 60) * windows,
    });
  return lines.length > 0
    ? priced(...lines)
    : free("managed-VNet IR without time-to-live: activity hours are priced on the factory");
};

/** `resources.Resource` (the workaround for types azure-native lacks): priced by what it declares. */
export const genericResource: Rule = (r, ctx) => {
  const ns = (str(r.inputs, "resourceProviderNamespace") ?? "").toLowerCase();
  const type = (str(r.inputs, "resourceType") ?? "").toLowerCase();
  if (ns === "microsoft.datafactory" && type === "managedvirtualnetworks")
    return free(
      "the factory's managed virtual network has no charge of its own (managed-VNet activity hours are priced)",
    );
  if (ns === "microsoft.streamanalytics" && type === "streamingjobs") return asaJobFrom(r.inputs.properties, ctx);
  if (ns === "microsoft.streamanalytics" && (type === "inputs" || type === "outputs" || type === "functions"))
    return free("billed on the job's streaming units");
  return notEstimated(`generic resource ${ns}/${type} has no pricing rule`);
};

// ---- Security: Microsoft Defender for Cloud --------------------------------------------------------------------------

const count = (ctx: RuleContext, ...types: string[]) => types.reduce((s, t) => s + ctx.ofType(`${AN}:${t}`).length, 0);
const standard = (r: ResourceRecord) => (str(r.inputs, "pricingTier") ?? "").toLowerCase() === "standard";

/** Billed RU/s (in 100s) across the stack's provisioned containers and databases, every region. */
function billedHundredRu(ctx: RuleContext): number {
  let total = 0;
  for (const t of [`${AN}:cosmosdb:SqlResourceSqlContainer`, `${AN}:cosmosdb:SqlResourceSqlDatabase`]) {
    for (const c of ctx.ofType(t)) {
      const regions = cosmosRegions(account(c, ctx));
      const max = num(c.inputs, "options.autoscaleSettings.maxThroughput");
      const manual = num(c.inputs, "options.throughput");
      const ru = max !== undefined ? max * ctx.usage.cosmosAutoscaleBilledFraction : (manual ?? 0);
      total += (ru / 100) * regions;
    }
  }
  return total;
}

/**
 * A Defender for Cloud plan (`security:Pricing`): the plan's price per protected resource × the stack's resources of
 * that kind (a subscription-scoped plan also covers resources outside this stack: the figure is this stack's share).
 */
export const defenderPlan: Rule = (r, ctx) => {
  const plan = str(r.inputs, "pricingName") ?? r.name;
  if (!standard(r)) return free(`Defender plan ${plan} on the Free tier`);
  const per = (meter: string, priceId: string, n: number, what: string) =>
    n > 0
      ? priced({ meter: `${meter} × ${Math.round(n * 100) / 100} ${what}`, priceId, quantity: n })
      : free(`Defender plan ${plan}: no ${what} in the stack`);
  switch (plan) {
    case "SqlServers":
      // Azure SQL logical servers and Synapse workspaces (dedicated pools) are both covered by the SQL plan.
      return per("Defender for SQL", "defender-sql-azure", count(ctx, "sql:Server", "synapse:Workspace"), "server(s)");
    case "StorageAccounts":
      return per("Defender for Storage", "defender-storage", count(ctx, "storage:StorageAccount"), "account(s)");
    case "KeyVaults":
      return per("Defender for Key Vault", "defender-keyvault", count(ctx, "keyvault:Vault"), "vault(s)");
    case "CosmosDbs":
      return per("Defender for Cosmos DB", "defender-cosmos", billedHundredRu(ctx), "100 RU/s billed");
    case "Arm":
      return per("Defender for Resource Manager", "defender-arm", 1, "subscription");
    case "AppServices": {
      const inst = ctx
        .ofType(`${AN}:web:AppServicePlan`)
        .filter((p) => !["FC1", "Y1"].includes(str(p.inputs, "sku.name") ?? ""))
        .reduce((s, p) => s + (num(p.inputs, "sku.capacity") ?? 1), 0);
      return per("Defender for App Service", "defender-appservice", inst, "plan instance(s)");
    }
    case "VirtualMachines":
      return per(
        `Defender for Servers ${str(r.inputs, "subPlan") ?? "P2"}`,
        str(r.inputs, "subPlan") === "P1" ? "defender-servers-p1" : "defender-servers-p2",
        count(ctx, "compute:VirtualMachine"),
        "VM(s)",
      );
    case "OpenSourceRelationalDatabases":
      return per(
        "Defender for open-source databases",
        "defender-oss-db",
        count(ctx, "dbforpostgresql:Server", "dbforpostgresql:FlexibleServer", "dbformysql:FlexibleServer"),
        "server(s)",
      );
    default:
      return notEstimated(
        `Defender plan ${plan} has no price row (priced: SqlServers, StorageAccounts, KeyVaults, CosmosDbs, Arm, AppServices, VirtualMachines, OpenSourceRelationalDatabases)`,
      );
  }
};

/** Microsoft Defender for SQL on one server, unless a Defender for SQL plan of the stack already bills it. */
export const sqlSecurityAlertPolicy: Rule = (r, ctx) => {
  if ((str(r.inputs, "state") ?? "Enabled") !== "Enabled") return free("threat detection disabled");
  const plan = ctx
    .ofType(`${AN}:security:Pricing`)
    .some((p) => str(p.inputs, "pricingName") === "SqlServers" && standard(p));
  if (plan) return free("billed by the stack's Defender for SQL plan (security:Pricing SqlServers)");
  return priced({ meter: "Microsoft Defender for SQL (server)", priceId: "defender-sql-azure", quantity: 1 });
};

// ---- Azure Monitor alerts, notifications and Sentinel ---------------------------------------------------------------

/** Metric alert rules: one time series per scope and criterion (dimensions split further; not modelled). */
export const metricAlert: Rule = (r) => {
  const scopes = Math.max(1, (at(r.inputs, "scopes") as unknown[] | undefined)?.length ?? 1);
  const all = (at(r.inputs, "criteria.allOf") as { criterionType?: string }[] | undefined) ?? [{}];
  const series = scopes * Math.max(1, all.length);
  const dynamic = scopes * all.filter((c) => c.criterionType === "DynamicThresholdCriterion").length;
  const lines: LineSpec[] = [
    { meter: `${series} monitored time series`, priceId: "monitor-metric-alert-ts", quantity: series },
  ];
  if (dynamic > 0)
    lines.push({
      meter: `Dynamic threshold × ${dynamic} time series`,
      priceId: "monitor-metric-alert-ts",
      quantity: dynamic,
    });
  return priced(...lines);
};

const minutes = (iso?: string) => {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso ?? "");
  return m ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : undefined;
};
/** Log search alert rules (`ScheduledQueryRule`): a monthly price by evaluation frequency. */
export const scheduledQueryRule: Rule = (r) => {
  const freq = minutes(str(r.inputs, "evaluationFrequency"));
  if (freq === undefined) return notEstimated("no evaluationFrequency (ISO 8601 duration) on the rule");
  const id = freq <= 1 ? "1m" : freq <= 5 ? "5m" : freq <= 10 ? "10m" : "15m";
  return priced({
    meter: `Log search alert rule every ${freq} min`,
    priceId: `monitor-log-alert-${id}`,
    quantity: 1,
    note: "one time series (split-by dimensions add 30 % of the rule price each; not modelled)",
  });
};

/** Action groups: e-mail has 1,000 free a month; web hooks are billed per notification. */
export const actionGroup: Rule = (r, ctx) => {
  const hooks = (at(r.inputs, "webhookReceivers") as { useAadAuth?: boolean }[] | undefined) ?? [];
  if (hooks.length === 0) return free("e-mail notifications: the first 1,000 a month have no charge");
  const n = ctx.usage.alertNotificationsPerMonth;
  const secure = hooks.filter((h) => h.useAadAuth === true).length;
  const plain = hooks.length - secure;
  const lines: LineSpec[] = [];
  if (plain > 0)
    lines.push({ meter: `${plain} web hook(s) × ${n} notifications`, priceId: "monitor-webhook", quantity: plain * n });
  if (secure > 0)
    lines.push({
      meter: `${secure} secure web hook(s) × ${n} notifications`,
      priceId: "monitor-secure-webhook",
      quantity: secure * n,
    });
  return priced(...lines);
};

/** Microsoft Sentinel on a workspace: every GB the workspace ingests is analysed (pay-as-you-go). */
export const sentinel: Rule = (_r, ctx) =>
  priced({
    meter: `Sentinel analysis ${ctx.usage.logIngestionGbPerDay} GB/day`,
    priceId: "sentinel-ingestion",
    quantity: ctx.usage.logIngestionGbPerDay * DAYS_PER_MONTH,
  });

/** The legacy `SecurityInsights(<ws>)` solution is Sentinel too (priced once, on the onboarding state when both exist). */
export const omsSolution: Rule = (r, ctx) => {
  const name = `${str(r.inputs, "solutionName") ?? ""} ${str(r.inputs, "plan.product") ?? ""}`;
  if (!/SecurityInsights/i.test(name)) return free("Log Analytics solutions bill their data as workspace ingestion");
  if (ctx.ofType(`${AN}:securityinsights:SentinelOnboardingState`).length > 0)
    return free("Sentinel is priced on the workspace's onboarding state");
  return sentinel(r, ctx);
};

/** Rules by type token. */
export const RULES: Readonly<Record<string, Rule>> = {
  [`${AN}:sql:Database`]: sqlDatabase,
  [`${AN}:cosmosdb:DatabaseAccount`]: cosmosAccount,
  [`${AN}:cosmosdb:SqlResourceSqlContainer`]: cosmosContainer,
  [`${AN}:cosmosdb:SqlResourceSqlDatabase`]: cosmosDatabase,
  [`${AN}:network:AzureFirewall`]: firewall,
  [`${AN}:network:DdosProtectionPlan`]: ddosPlan,
  [`${AN}:network:PrivateEndpoint`]: privateEndpoint,
  [`${AN}:network:PublicIPAddress`]: publicIp,
  [`${AN}:network:NatGateway`]: natGateway,
  [`${AN}:network:ApplicationGateway`]: applicationGateway,
  [`${AN}:privatedns:PrivateZone`]: privateDnsZone,
  [`${AN}:operationalinsights:Workspace`]: logAnalytics,
  [`${AN}:keyvault:Key`]: keyVaultKey,
  [`${AN}:synapse:SqlPool`]: synapsePool,
  [`${AN}:storage:StorageAccount`]: storageAccount,
  [`${AN}:datafactory:Factory`]: dataFactory,
  [`${AN}:eventhub:Namespace`]: eventHubsNamespace,
  [`${AN}:streamanalytics:StreamingJob`]: streamAnalytics,
  [`${AN}:streamanalytics:Cluster`]: streamAnalyticsCluster,
  [`${AN}:web:AppServicePlan`]: appServicePlan,
  [`${AN}:web:WebApp`]: webApp,
  [`${AN}:machinelearningservices:Compute`]: mlCompute,
  [`${AN}:machinelearningservices:OnlineDeployment`]: mlOnlineDeployment,
  [`${AN}:machinelearningservices:OnlineEndpoint`]: mlOnlineEndpoint,
  [`${AN}:containerregistry:Registry`]: containerRegistry,
  [`${AN}:containerregistry:Replication`]: acrReplication,
  [`${AN}:datafactory:IntegrationRuntime`]: integrationRuntime,
  [`${AN}:resources:Resource`]: genericResource,
  [`${AN}:security:Pricing`]: defenderPlan,
  [`${AN}:sql:ServerSecurityAlertPolicy`]: sqlSecurityAlertPolicy,
  [`${AN}:monitor:MetricAlert`]: metricAlert,
  [`${AN}:monitor:ScheduledQueryRule`]: scheduledQueryRule,
  [`${AN}:monitor:ActionGroup`]: actionGroup,
  [`${AN}:securityinsights:SentinelOnboardingState`]: sentinel,
  [`${AN}:operationsmanagement:Solution`]: omsSolution,
};
