/**
 * Databases and their backups: backup storage redundancy, zone redundancy, short- and long-term retention.
 */
import type * as sql from "@pulumi/azure-native/sql";
import { isoDurationDays, SQL_LTR_MAX_DAYS } from "../../lib/duration";
import { resourcePolicy, stringListKnob } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { normaliseLocation, presence, requireKnown, show, valueAt, who } from "../../lib/values";
import { SQL_DATABASE, SQL_LTR, DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Databases and backups
// ---------------------------------------------------------------------------------------------------------------

/** EU regions whose Azure paired region (where geo-redundant backups are copied) is also in the EU. */
export const EU_PAIRED_LOCATIONS = [
  "westeurope",
  "northeurope",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "swedencentral",
  "swedensouth",
];

const BACKUP_REDUNDANCY = ["Local", "Zone", "Geo", "GeoZone"];

export const sqlDatabaseBackupRedundancy = resourcePolicy<sql.DatabaseArgs>(
  {
    name: "azure-native-sql-database-configure-backup-storage-redundancy",
    description:
      "Every Azure SQL database stores its backups with an allowed redundancy: geo-redundant in production so it can be restored after a regional outage, and only where the geo copy stays inside the EU.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)", "44"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Set `requestedBackupStorageRedundancy` to "Geo" or "GeoZone" in production (an EU region with an EU pair, e.g. westeurope/northeurope) and to one of `allowedRedundancy` elsewhere (e.g. "Local" for dev).',
    url: `${DOCS}/automated-backups-overview#backup-storage-redundancy`,
    config: {
      allowedRedundancy: {
        type: "array",
        items: { type: "string", enum: BACKUP_REDUNDANCY },
        default: BACKUP_REDUNDANCY,
        description: "Backup storage redundancy allowed outside production.",
      },
      prodAllowedRedundancy: {
        type: "array",
        items: { type: "string", enum: BACKUP_REDUNDANCY },
        default: ["Geo", "GeoZone"],
        description: "Backup storage redundancy allowed in production stacks (PCI DSS 12.10.1 disaster recovery).",
      },
      prodStacks: prodStacksKnob(),
      geoPairedLocations: stringListKnob(
        "Regions where Geo/GeoZone backups are allowed: their paired region is in the EU/EEA (GDPR Chapter V).",
        EU_PAIRED_LOCATIONS,
      ),
    },
  },
  SQL_DATABASE,
  (props, args, report) => {
    const cfg = args.getConfig<{
      allowedRedundancy: string[];
      prodAllowedRedundancy: string[];
      geoPairedLocations: string[];
    }>();
    if (presence(props, "requestedBackupStorageRedundancy") === "unknown")
      requireKnown(props, "requestedBackupStorageRedundancy");
    // Absent ⇒ the service default, "Geo".
    const redundancy = props.requestedBackupStorageRedundancy ?? "Geo";
    const prod = isProdStack(args);
    const allowed = prod ? cfg.prodAllowedRedundancy : cfg.allowedRedundancy;
    const shown = props.requestedBackupStorageRedundancy === undefined ? '"Geo" (the default)' : `"${redundancy}"`;
    if (!allowed.includes(redundancy)) {
      report(
        `${who(args)} stores backups with ${shown} redundancy${prod ? " in a production stack" : ""}: set requestedBackupStorageRedundancy to ${allowed.map((a) => `"${a}"`).join(" or ")}.`,
      );
    }
    const location = valueAt(props, "location");
    if (
      (redundancy === "Geo" || redundancy === "GeoZone") &&
      typeof location === "string" &&
      !cfg.geoPairedLocations.map(normaliseLocation).includes(normaliseLocation(location))
    ) {
      report(
        `${who(args)} in '${location}' stores backups with ${shown} redundancy, copied to a paired region outside the allowed EU pairs: set requestedBackupStorageRedundancy to "Zone" or "Local", or deploy to a region in geoPairedLocations.`,
      );
    }
  },
);

export const sqlDatabaseZoneRedundancy = resourcePolicy<sql.DatabaseArgs>(
  {
    name: "azure-native-sql-database-enable-zone-redundancy",
    description: "Every Azure SQL database in a production stack spreads its replicas across availability zones.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      "Set `zoneRedundant` to true (Business Critical, Premium, Hyperscale or General Purpose in a region with availability zones).",
    url: `${DOCS}/high-availability-sla-local-zone-redundancy`,
    config: { prodStacks: prodStacksKnob() },
  },
  SQL_DATABASE,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable("zone redundancy is only required in production stacks");
    if (presence(props, "elasticPoolId") !== "absent") {
      args.notApplicable("the database is in an elastic pool, whose zoneRedundant setting applies");
    }
    // Absent ⇒ false (the service default).
    if (presence(props, "zoneRedundant") === "unknown") requireKnown(props, "zoneRedundant");
    if (props.zoneRedundant !== true) {
      report(
        `${who(args)} is not zone-redundant (zoneRedundant ${show(props.zoneRedundant)}): set zoneRedundant to true.`,
      );
    }
  },
);

export const sqlShortTermRetention = resourcePolicy<sql.BackupShortTermRetentionPolicyArgs>(
  {
    name: "azure-native-sql-backupshorttermretentionpolicy-configure-retention",
    description:
      "Every Azure SQL database keeps point-in-time-restore backups for at least the configured number of days.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      "Set `retentionDays` to at least `minRetentionDays` (`prodMinRetentionDays` in production stacks); Azure allows 1–35.",
    url: `${DOCS}/automated-backups-change-settings`,
    config: {
      minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Minimum PITR days." },
      prodMinRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 35,
        default: 14,
        description: "Minimum PITR days in production stacks.",
      },
      prodStacks: prodStacksKnob(),
    },
  },
  "azure-native:sql:BackupShortTermRetentionPolicy",
  (props, args, report) => {
    const cfg = args.getConfig<{ minRetentionDays: number; prodMinRetentionDays: number }>();
    const min = isProdStack(args) ? cfg.prodMinRetentionDays : cfg.minRetentionDays;
    if (presence(props, "retentionDays") === "unknown") requireKnown(props, "retentionDays");
    // Absent ⇒ the service default of 7 days.
    const days = props.retentionDays ?? 7;
    if (days < min) {
      report(
        `${who(args)} keeps point-in-time backups for ${days} days${props.retentionDays === undefined ? " (the default)" : ""}: set retentionDays to at least ${min}.`,
      );
    }
  },
);

const LTR_KEYS = ["weeklyRetention", "monthlyRetention", "yearlyRetention"] as const;

export const sqlLongTermRetention = resourcePolicy<sql.LongTermRetentionPolicyArgs>(
  {
    name: "azure-native-sql-longtermretentionpolicy-configure-retention",
    description:
      "Every Azure SQL long-term retention policy keeps at least one series of backups and none longer than the configured maximum.",
    severity: "medium",
    pci: ["12.10.1", "3.2.1"],
    gdpr: ["5(1)(e)", "32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Set at least one of `weeklyRetention`, `monthlyRetention`, `yearlyRetention` to an ISO 8601 duration (e.g. "P12W", "P12M", "P10Y"; with `weekOfYear` for yearly), none longer than `maxRetentionDays`.',
    url: `${DOCS}/long-term-retention-overview`,
    config: {
      maxRetentionDays: {
        type: "integer",
        minimum: 1,
        default: SQL_LTR_MAX_DAYS,
        description: "Longest allowed retention in days (default 10 years; PCI DSS 3.2.1, GDPR storage limitation).",
      },
    },
  },
  SQL_LTR,
  (props, args, report) => {
    const { maxRetentionDays } = args.getConfig<{ maxRetentionDays: number }>();
    let someSet = false;
    let someUnknown = false;
    for (const key of LTR_KEYS) {
      const p = presence(props, key);
      if (p === "unknown") someUnknown = true;
      const value = valueAt(props, key);
      if (typeof value !== "string" || value === "") continue;
      const days = isoDurationDays(value);
      if (days === undefined) {
        report(`${who(args)} has ${key} ${show(value)}, not an ISO 8601 duration: set ${key} to e.g. "P12M".`);
        continue;
      }
      if (days > 0) someSet = true;
      if (days > maxRetentionDays) {
        report(`${who(args)} keeps ${key} backups for ${value}: set ${key} to at most ${maxRetentionDays} days.`);
      }
    }
    if (!someSet && !someUnknown) {
      report(
        `${who(args)} keeps no long-term backups: set weeklyRetention, monthlyRetention or yearlyRetention (e.g. "P12M").`,
      );
    }
    // A retention unknown during preview may exceed the maximum: undecided once the known ones are reported, never
    // passed.
    for (const key of LTR_KEYS) if (presence(props, key) === "unknown") requireKnown(props, key);
  },
);
