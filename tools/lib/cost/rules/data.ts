/** Pricing rules of the data stores: Azure SQL, Cosmos DB, the Synapse dedicated pool, storage accounts. */
import type { ResourceRecord } from "../../policyRunner";
import { DAYS_PER_MONTH, HOURS_PER_MONTH as H } from "../prices";
import {
  scheduledHours,
  at,
  free,
  isSqlTriggerSettings,
  notEstimated,
  num,
  priced,
  str,
  type LineSpec,
  type Rule,
  type RuleContext,
} from "../model";
import { TRIGGERS } from "../../../../pipelines/etl/names";
import { flowLogAccounts } from "./flowLogs";
import { AN, GIB, stoppingSchedule } from "./common";

/** The ETL's daily trigger: its run reads the OLTP database every night. */
const NIGHTLY_TRIGGER = TRIGGERS.nightly;

// ---- Azure SQL ------------------------------------------------------------------------------------------------------

const sameDb = (a: ResourceRecord, server?: string, db?: string) =>
  str(a.inputs, "serverName") === server && str(a.inputs, "databaseName") === db;

/** The primary a geo-secondary copies (by its sourceDatabaseId's server and database names). */
function sourceOf(r: ResourceRecord, ctx: RuleContext): ResourceRecord | undefined {
  const id = str(r.inputs, "sourceDatabaseId") ?? "";
  const m = /\/servers\/([^/]+)\/databases\/([^/]+)$/i.exec(id);
  return m ? ctx.ofType(`${AN}:sql:Database`).find((d) => sameDb(d, m[1], m[2])) : undefined;
}

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
    // The licence meter: none on a standby geo-secondary (Microsoft's failover rights); Azure Hybrid Benefit only
    // where the database declares it (`licenseType: BasePrice`), never assumed from the usage config alone.
    const standby = secondary && str(r.inputs, "secondaryType") === "Standby";
    const hybrid = str(r.inputs, "licenseType") === "BasePrice";
    const licence = hybrid
      ? {}
      : { noHybridBenefit: true, note: "licence included: the database declares no Azure Hybrid Benefit" };
    lines.push({
      meter: `Compute ${label}${standby ? ", standby replica (no SQL licence billed)" : ""}`,
      priceId: `sql-${tier}-compute`,
      quantity: vh,
    });
    // "Hyperscale has no SQL software license fee" (service-tier-hyperscale): no licence line, on the replicas either.
    if (!standby && tier !== "hs") {
      lines.push({
        meter: `SQL license${hybrid ? " (Azure Hybrid Benefit declared)" : ""}`,
        priceId: tier === "bc" ? "sql-license-bc" : "sql-license-gp",
        quantity: vh,
        ...licence,
      });
    }
    if (zone && tier === "gp") lines.push({ meter: "Zone redundancy", priceId: "sql-gp-zone", quantity: vh });
    const replicas = tier === "hs" ? (num(r.inputs, "highAvailabilityReplicaCount") ?? 0) : 0;
    if (replicas > 0) {
      lines.push({ meter: `HA replicas ×${replicas}`, priceId: "sql-hs-compute", quantity: vh * replicas });
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

export function account(r: ResourceRecord, ctx: RuleContext): ResourceRecord | undefined {
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
      // The zone premium only where a region is zone redundant (each zone-redundant region weighs 1.25).
      meter: `Serverless request units${regions > 1 ? ` × ${regions} region(s)` : ""}${az > regions ? " (× 1.25 availability zones)" : ""}`,
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

// ---- Synapse and storage -------------------------------------------------------------------------------------------

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
    // Geo-backups (storage account type GRS) are billed as disaster-recovery storage on the same volume.
    ...(str(r.inputs, "storageAccountType") === "GRS"
      ? [
          {
            meter: `Geo-redundant disaster recovery ${ctx.usage.synapseStorageTb} TB (geo-backups)`,
            priceId: "synapse-geo-dr",
            quantity: ctx.usage.synapseStorageTb,
          },
        ]
      : []),
  );
};

export const STORAGE_REDUNDANCY: Readonly<Record<string, string>> = {
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
  // The SQL audit archive holds nothing but the audit its database audit writes, priced on that policy.
  const name = str(r.inputs, "accountName")?.toLowerCase();
  const archive = ctx
    .ofType(`${AN}:sql:ExtendedDatabaseBlobAuditingPolicy`)
    .some(
      (a) =>
        name !== undefined &&
        new RegExp(`^https://${name}\\.blob\\.`, "i").test(str(a.inputs, "storageEndpoint") ?? ""),
    );
  if (archive)
    return free("its capacity is the SQL audit archive's, priced on the database audit policy that writes it");
  if (flowLogAccounts(ctx).has(r.urn))
    return free("its capacity is the VNet flow logs', priced on the flow log that writes it");
  if (!lake) {
    const gb = ctx.usage.otherStorageGbPerAccount;
    // The account's default tier (the audit archive's is cool); hot otherwise.
    const cool = str(r.inputs, "accessTier") === "Cool";
    return priced({
      meter: `${cool ? "Cool" : "Hot"} ${gb} GB (${redundancy})`,
      priceId: `storage-${cool ? "cool" : "hot"}-${redundancy}`,
      quantity: gb,
    });
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
