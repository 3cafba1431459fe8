/**
 * A storage account's lifecycle management policy deletes what other rules require kept: the flow log rule asks a
 * year of flow records in prod, the SQL audit rules a year of audit records, and a `delete` action 30 days after
 * modification on the account those records go to would pass every one of them (policy review S6). PCI DSS 10.5.1
 * (audit log history kept at least 12 months, three immediately available), 10.3.2 (audit logs protected from
 * modification and deletion); GDPR Art. 5(2) (accountability).
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { ofType, pointsAt, stackPolicy, stringListKnob } from "../lib/policy";
import { inStacks, prodStacksKnob } from "../lib/scope";
import { presence, requireKnown, sameText, show, valueAt, who } from "../lib/values";
import { STORAGE_AUDIT_TYPES } from "./sql";
import { auditAccountOf, underAccount } from "./sqlAuditArchive";
import { ACCOUNT } from "./storage";

const MANAGEMENT_POLICY = "azure-native:storage:ManagementPolicy";
const FLOW_LOG = "azure-native:network:FlowLog";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
/** The activity log's settings: a subscription's and a management group's. */
const ACTIVITY_LOG_SETTINGS = [
  "azure-native:monitor:SubscriptionDiagnosticSetting",
  "azure-native:monitor:ManagementGroupDiagnosticSetting",
];

/** The delete conditions of a lifecycle rule's base blob action (the current version of a blob). */
const DELETE_CONDITIONS = [
  "daysAfterModificationGreaterThan",
  "daysAfterCreationGreaterThan",
  "daysAfterLastAccessTimeGreaterThan",
] as const;

/** A resource that writes log records to an account, where it writes them, and how long it says to keep them. */
export interface LogWriter {
  readonly writer: PolicyResource;
  /**
   * The containers its blobs go to, a trailing `*` for every container whose name starts so: Network Watcher and
   * diagnostic settings write resource logs to `insights-logs-<category>` containers (`insights-logs-flowlogflowevent`
   * for VNet flow logs: vnet-flow-logs-overview; resource-logs "Send to Azure Storage"), the activity log to
   * `insights-activity-logs` (activity-log "Send to Azure Storage"), Azure SQL auditing to `sqldbauditlogs`
   * (audit-log-format).
   */
  readonly containers: readonly string[];
  /** Days the writer itself keeps its records, or undefined for ever (no retention, or 0 days). */
  readonly days?: number;
  /**
   * The blob type its records are, where Microsoft documents it (lower case, as compared): NSG flow logs are block
   * blobs ("Flow logs are stored in a storage account in block blobs", network-watcher/flow-logs-read, an article on
   * NSG flow logs), Azure SQL's audit records append blobs ("Audit logs are written to Append Blobs", azure-sql/
   * database/auditing-overview); undefined (either) for VNet flow logs and diagnostic settings, whose type no
   * Microsoft page states.
   */
  readonly blobType?: "blockblob" | "appendblob";
}

/** The days a writer's retention setting keeps records: undefined (for ever) when off or 0. */
function keptDays(enabled: unknown, days: unknown): number | undefined {
  return enabled !== false && typeof days === "number" && days > 0 ? days : undefined;
}

/** The log writers of the stack that send records to `account`. */
export function logWriters(resources: readonly PolicyResource[], account: PolicyResource): LogWriter[] {
  const out: LogWriter[] = [];
  const accounts = [account];
  for (const f of ofType(resources, FLOW_LOG)) {
    if (valueAt(f.props, "enabled") === false || !pointsAt(f, account, "storageId")) continue;
    const days = keptDays(valueAt(f.props, "retentionPolicy", "enabled"), valueAt(f.props, "retentionPolicy", "days"));
    const target = valueAt(f.props, "targetResourceId");
    const nsg = typeof target === "string" && /\/networkSecurityGroups\/[^/]+$/i.test(target);
    out.push({
      writer: f,
      containers: ["insights-logs-*"],
      ...(nsg ? { blobType: "blockblob" as const } : {}),
      ...(days === undefined ? {} : { days }),
    });
  }
  // A diagnostic setting writes resource logs, or the activity log when its resource is a subscription.
  for (const d of ofType(resources, DIAGNOSTIC_SETTING)) {
    if (pointsAt(d, account, "storageAccountId"))
      out.push({ writer: d, containers: ["insights-logs-*", "insights-activity-logs"] });
  }
  for (const d of ofType(resources, ...ACTIVITY_LOG_SETTINGS)) {
    if (pointsAt(d, account, "storageAccountId")) out.push({ writer: d, containers: ["insights-activity-logs"] });
  }
  for (const a of ofType(resources, ...STORAGE_AUDIT_TYPES)) {
    if (!sameText(valueAt(a.props, "state"), "Enabled") || auditAccountOf(a, accounts) === undefined) continue;
    const days = keptDays(true, valueAt(a.props, "retentionDays"));
    out.push({
      writer: a,
      containers: ["sqldbauditlogs"],
      blobType: "appendblob",
      ...(days === undefined ? {} : { days }),
    });
  }
  return out;
}

/**
 * Whether a lifecycle rule's `prefixMatch` entries reach a writer's container (`sqldbauditlogs`, or `insights-logs-*`
 * for every container whose name starts so). No prefix is the whole account. A prefix with a `/` is one container
 * and a blob name prefix in it; one without is the start of container names (lifecycle-management-policy-structure,
 * "prefixMatch"). Compared case-insensitively. A rule's `blobIndexMatch` filter is not read here: it can only make a
 * rule count that would not delete log records, never the reverse (its `blobTypes`: `reachesBlobType`).
 */
export function reachesContainer(prefixes: readonly string[], container: string): boolean {
  if (prefixes.length === 0) return true;
  const family = container.endsWith("*");
  const name = container.replace(/\*$/, "").toLowerCase();
  return prefixes.some((p) => {
    const [start, ...rest] = p.toLowerCase().split("/");
    if (rest.length > 0) return family ? start.startsWith(name) : start === name;
    return name.startsWith(start) || (family && start.startsWith(name));
  });
}

/**
 * Whether a lifecycle rule acting on `blobTypes` (its `filters.blobTypes`, lower-cased; undefined or empty: the rule
 * names none, so every type) acts on blobs of `blobType` (undefined: a writer whose type is not documented, either).
 */
export function reachesBlobType(blobTypes: readonly string[] | undefined, blobType: string | undefined): boolean {
  return blobType === undefined || blobTypes === undefined || blobTypes.length === 0 || blobTypes.includes(blobType);
}

/**
 * One enabled rule of a lifecycle policy: its index, a reader of its properties, its `prefixMatch` entries and its
 * `blobTypes` (lower-cased; undefined when it names none).
 */
interface LifecycleRule {
  readonly index: number;
  /** The value at a path of the rule; a value unknown during preview makes the rule undecided (`requireKnown`). */
  readonly at: (...path: string[]) => unknown;
  readonly prefixes: readonly string[];
  readonly blobTypes?: readonly string[];
}

/** The enabled rules of a lifecycle management policy (`policy.rules`, by index: the elements may be unknown). */
function enabledRules(policy: PolicyResource): LifecycleRule[] {
  if (presence(policy.props, "policy", "rules") === "unknown") requireKnown(policy.props, "policy", "rules");
  const rules = valueAt(policy.props, "policy", "rules");
  const out: LifecycleRule[] = [];
  for (let i = 0; i < (Array.isArray(rules) ? rules.length : 0); i++) {
    const at = (...path: string[]) => {
      if (presence(rules, String(i), ...path) === "unknown") requireKnown(rules, String(i), ...path);
      return valueAt(rules, String(i), ...path);
    };
    if (at("enabled") === false) continue;
    const prefixes = at("definition", "filters", "prefixMatch");
    const types = at("definition", "filters", "blobTypes");
    out.push({
      index: i,
      at,
      prefixes: Array.isArray(prefixes) ? prefixes.filter((p): p is string => typeof p === "string") : [],
      ...(Array.isArray(types)
        ? { blobTypes: types.filter((t): t is string => typeof t === "string").map((t) => t.toLowerCase()) }
        : {}),
    });
  }
  return out;
}

export const lifecycleDeleteBeforeRetention = stackPolicy(
  {
    name: "azure-native-storage-managementpolicy-disallow-delete-before-log-retention",
    description:
      "A storage account's lifecycle management policy does not delete the log records other resources keep there (flow logs, diagnostic settings, the activity log, SQL audits) before the retention the pack requires (90 days, a year in production stacks) or the longer retention the writer itself is set to keep them.",
    severity: "high",
    pci: ["10.3.2", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "storage",
    remediationSteps:
      "Raise the rule's `definition.actions.baseBlob.delete.daysAfter…GreaterThan` to at least the required days, or narrow its `filters.prefixMatch` to containers that hold no log records (not `insights-logs-*`, `insights-activity-logs` or `sqldbauditlogs`); tier old records to cool or archive instead of deleting them.",
    url: "https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-policy-delete",
    config: {
      minRetentionDays: {
        type: "integer",
        minimum: 1,
        default: 90,
        description:
          "Days log records in storage are kept at least (PCI DSS 10.5.1: three months immediately available).",
      },
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      prodMinRetentionDays: {
        type: "integer",
        minimum: 1,
        default: 365,
        description: "Days in prodStacks (PCI DSS 10.5.1: twelve months of audit log history).",
      },
    },
  },
  (args, report) => {
    const cfg = args.getConfig<{ minRetentionDays: number; prodStacks: string[]; prodMinRetentionDays: number }>();
    const policies = ofType(args.resources, MANAGEMENT_POLICY);
    if (policies.length === 0) args.notApplicable("the stack declares no lifecycle management policy");
    const accounts = ofType(args.resources, ACCOUNT);
    let checked = 0;
    for (const policy of policies) {
      const account = accounts.find((a) => underAccount(policy, a));
      if (account === undefined) continue;
      const writers = logWriters(args.resources, account);
      if (writers.length === 0) continue;
      checked++;
      const floor = inStacks(account.urn, cfg.prodStacks)
        ? Math.max(cfg.minRetentionDays, cfg.prodMinRetentionDays)
        : cfg.minRetentionDays;
      for (const { index: i, at, prefixes, blobTypes } of enabledRules(policy)) {
        const reached = writers
          .filter((w) => reachesBlobType(blobTypes, w.blobType))
          .map((w) => ({ ...w, containers: w.containers.filter((c) => reachesContainer(prefixes, c)) }))
          .filter((w) => w.containers.length > 0);
        if (reached.length === 0) continue;
        const required = Math.max(floor, ...reached.map((w) => w.days ?? 0));
        for (const condition of DELETE_CONDITIONS) {
          const days = at("definition", "actions", "baseBlob", "delete", condition);
          if (typeof days !== "number" || days >= required) continue;
          const writer = reached.find((w) => (w.days ?? 0) === required) ?? reached[0];
          report(
            `${who(policy)} deletes blobs of ${who(account)} ${days} days after ${condition
              .replace(/^daysAfter|GreaterThan$/g, "")
              .replace(/([a-z])([A-Z])/g, "$1 $2")
              .toLowerCase()} (policy.rules[${i}] ${show(at("name"))}, definition.actions.baseBlob.delete.${condition}), where ${who(writer.writer)} keeps its records (${writer.containers.join(", ")}) ${writer.days === undefined ? "with no limit of its own" : `${writer.days} days`}: they must be kept at least ${required} days; raise the delete to ${required} days or more, or narrow filters.prefixMatch to containers without log records.`,
            policy.urn,
          );
        }
      }
    }
    if (checked === 0) args.notApplicable("no lifecycle management policy is on an account that receives log records");
  },
);

const CONTAINER = "azure-native:storage:BlobContainer";

/** The days after which an enabled lifecycle rule reaching `prefix` deletes base blobs, the shortest, if one does. */
function deleteDaysFor(policy: PolicyResource, prefix: string): number | undefined {
  let days: number | undefined;
  for (const { at, prefixes, blobTypes } of enabledRules(policy)) {
    // The rule must cover the whole prefix: no filter, or a prefix the wanted one starts with.
    if (prefixes.length > 0 && !prefixes.some((p) => prefix.toLowerCase().startsWith(p.toLowerCase()))) continue;
    // And the extracts' blob type: Data Factory's copy writes block blobs (its Blob sink's `blockSizeInMB`, "used to
    // write data to block blobs": data-factory/connector-azure-blob-storage), the type the lake's own rules name
    // (components/olap/settings.ts). A rule must name it (Azure requires `blobTypes`): one on append blobs only, or
    // with an empty list, deletes none of them.
    if (blobTypes !== undefined && !blobTypes.includes("blockblob")) continue;
    for (const condition of ["daysAfterModificationGreaterThan", "daysAfterCreationGreaterThan"]) {
      const d = at("definition", "actions", "baseBlob", "delete", condition);
      if (typeof d === "number") days = days === undefined ? d : Math.min(days, d);
    }
  }
  return days;
}

export const lakeRawRetention = stackPolicy(
  {
    name: "azure-native-storage-managementpolicy-require-delete-of-raw-data",
    description:
      "In production stacks, the blobs of a container that lands raw extracts of the operational data (`raw`, or those listed in `expiringPrefixes`) are deleted by a lifecycle management rule no later than `maxRetentionDays` after they were written: raw payment and personal data kept without an end date breaks storage limitation.",
    severity: "medium",
    pci: ["3.2.1"],
    gdpr: ["5(1)(e)", "25(2)"],
    soc2: ["C1.2"],
    service: "storage",
    remediationSteps:
      'Add a `storage.ManagementPolicy` on the account with an enabled rule `{ filters: { prefixMatch: ["raw/"] }, actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: <at most maxRetentionDays> } } } }` (the lake\'s `olap.lake.lifecycle.raw.deleteAfterDays`).',
    url: "https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-policy-delete",
    config: {
      prodStacks: prodStacksKnob("Stacks that hold the cardholder data environment."),
      expiringPrefixes: stringListKnob(
        "Prefixes (`<container>/`) whose blobs must expire; a container of the stack named like a prefix's container is checked.",
        ["raw/"],
      ),
      maxRetentionDays: {
        type: "integer",
        minimum: 1,
        default: 400,
        description:
          "Most days a blob under an expiring prefix may be kept (the seed's raw zone: 13 months of re-runs).",
      },
    },
  },
  (args, report) => {
    const cfg = args.getConfig<{ prodStacks: string[]; expiringPrefixes: string[]; maxRetentionDays: number }>();
    const containers = ofType(args.resources, CONTAINER).filter((c) => inStacks(c.urn, cfg.prodStacks));
    const accounts = ofType(args.resources, ACCOUNT);
    const policies = ofType(args.resources, MANAGEMENT_POLICY);
    let checked = 0;
    for (const prefix of cfg.expiringPrefixes) {
      const containerName = prefix.split("/")[0];
      for (const container of containers) {
        // A path input, not an output once deployed: the output `name` then says it.
        const name = valueAt(container.props, "containerName") ?? valueAt(container.props, "name");
        if (typeof name !== "string" || !sameText(name, containerName)) continue;
        const account = accounts.find((a) => underAccount(container, a));
        if (account === undefined) continue;
        checked++;
        const days = policies
          .filter((p) => underAccount(p, account))
          .map((p) => deleteDaysFor(p, prefix))
          .filter((d): d is number => d !== undefined);
        const shortest = days.length > 0 ? Math.min(...days) : undefined;
        if (shortest === undefined || shortest > cfg.maxRetentionDays) {
          report(
            `${who(account)} keeps the blobs of '${prefix}' ${shortest === undefined ? "for ever (no enabled lifecycle rule deletes them)" : `${shortest} days`}: add a lifecycle rule deleting them at most ${cfg.maxRetentionDays} days after they were written (maxRetentionDays).`,
            account.urn,
          );
        }
      }
    }
    if (checked === 0) args.notApplicable("no production container holds an expiring prefix");
  },
);

export const storageLifecyclePolicies: Policies = [lifecycleDeleteBeforeRetention, lakeRawRetention];
