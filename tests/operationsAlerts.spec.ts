/**
 * What on-call and audit rely on in the alerts the committed stacks deploy: each infrastructure alert's metric,
 * threshold and schedule, the SLA queries' counting rules, the Sentinel rules' incident settings and detections,
 * alert routing, the subscription governance (activity log, Defender) and the streaming tier's own alerts. Read
 * from the offline previews of dev and prod (shared with the other specs through previewOf) and the pure specs.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ACTIVITY_LOG_CATEGORIES, DEFENDER_PLANS, defenderTemplate } from "../components/operations/governance";
import { infraAlerts, type InfraAlert } from "../components/operations/infra";
import {
  emailOnlyNote,
  p1PagesByEmailOnly,
  p1SharedAddresses,
  receiversOf,
  securityReceiversOf,
  severityActionGroups,
} from "../components/operations/routing";
import { TEAM_NETWORK_NOT_ACTIONS } from "../components/ml/settings";
import { stackContext } from "../components/shared/context";
import {
  analyticsRules,
  PACKAGE_WRITER_ROLES_TOKEN,
  PRIVILEGED_ROLES,
  SHIP_SETTLE_MINUTES,
  withStackIds,
  SHIP_WINDOW_MINUTES,
  STORAGE_BULK_READ,
} from "../components/operations/sentinel";
import { DEPLOYMENT_CONTAINER } from "../components/shared/functionAppSettings";
import { slaAlerts } from "../components/operations/sla";
import { watermarkQuery } from "../components/streaming/freshness";
import { ALERT_PRIORITIES, SLA_DEFAULTS } from "../lib/config";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import {
  byName,
  configOf,
  DEPLOY_PRINCIPAL_ID,
  input,
  ofType,
  previewEdited,
  previewOf,
  prodWithDeployPrincipalOf,
} from "./helpers/stacks";

type Resources = readonly ResourceRecord[];

/** The single criterion of an alert rule (metric alerts and scheduled queries alike). */
const criterion = (r: ResourceRecord) => input(r, "criteria.allOf.0") as Record<string, unknown>;
const queryOf = (r: ResourceRecord) => String(criterion(r).query);
const dimensionNames = (r: ResourceRecord) =>
  ((criterion(r).dimensions as { name: string }[] | undefined) ?? []).map((d) => d.name);

const SQL = "Microsoft.Sql/servers/databases";
const COSMOS = "Microsoft.DocumentDB/databaseAccounts";
const POOL = "Microsoft.Synapse/workspaces/sqlPools";
const STORAGE = "Microsoft.Storage/storageAccounts";
const AGW = "Microsoft.Network/applicationGateways";
const VAULT = "Microsoft.KeyVault/vaults";

interface MetricExpectation {
  namespace: string;
  metric: string;
  aggregation: string;
  operator: "GreaterThan" | "LessThan";
  threshold: number;
  window: number;
  frequency: number;
  severity: number;
  dimensions?: { name: string; values: string[] }[];
}
const m = (
  namespace: string,
  metric: string,
  aggregation: string,
  operator: "GreaterThan" | "LessThan",
  threshold: number,
  [window, frequency]: [number, number],
  severity: number,
): MetricExpectation => ({ namespace, metric, aggregation, operator, threshold, window, frequency, severity });

/** Every infrastructure metric alert: what it measures, when it fires, over which window how often, how bad. */
const METRIC_ALERTS: Record<string, MetricExpectation> = {
  "sql-cpu-primary": m(SQL, "cpu_percent", "Average", "GreaterThan", 80, [15, 5], 2),
  "sql-workers-primary": m(SQL, "workers_percent", "Maximum", "GreaterThan", 80, [5, 1], 1),
  "sql-storage-primary": m(SQL, "storage_percent", "Maximum", "GreaterThan", 85, [30, 15], 2),
  "sql-cpu-replica-1": m(SQL, "cpu_percent", "Average", "GreaterThan", 80, [15, 5], 2),
  "sql-workers-replica-1": m(SQL, "workers_percent", "Maximum", "GreaterThan", 80, [5, 1], 1),
  "sql-storage-replica-1": m(SQL, "storage_percent", "Maximum", "GreaterThan", 85, [30, 15], 2),
  // Per container and partition key range: an unsplit Average over every range would never see one saturated range.
  "cosmos-ru-consumption": {
    ...m(COSMOS, "NormalizedRUConsumption", "Average", "GreaterThan", 90, [15, 5], 2),
    dimensions: [
      { name: "CollectionName", values: ["*"] },
      { name: "PartitionKeyRangeId", values: ["*"] },
    ],
  },
  "cosmos-throttling": {
    ...m(COSMOS, "TotalRequests", "Count", "GreaterThan", 100, [5, 1], 2),
    dimensions: [{ name: "StatusCode", values: ["429"] }],
  },
  // Azure computes it hourly (time grain PT1H): evaluated once an hour.
  "cosmos-availability": m(COSMOS, "ServiceAvailability", "Average", "LessThan", 99.99, [60, 60], 1),
  "cosmos-replication-latency": m(COSMOS, "ReplicationLatency", "Average", "GreaterThan", 1000, [15, 5], 2),
  "synapse-dwu": m(POOL, "DWUUsedPercent", "Minimum", "GreaterThan", 90, [30, 5], 3),
  "synapse-tempdb": m(POOL, "LocalTempDBUsedPercent", "Maximum", "GreaterThan", 85, [15, 5], 2),
  "lake-availability": m(STORAGE, "Availability", "Average", "LessThan", 99.9, [15, 5], 2),
  "gateway-unhealthy-backends": m(AGW, "UnhealthyHostCount", "Average", "GreaterThan", 0, [5, 1], 1),
  "key-vault-availability-main": m(VAULT, "Availability", "Average", "LessThan", 99.9, [5, 1], 1),
  "key-vault-availability-cosmos": m(VAULT, "Availability", "Average", "LessThan", 99.9, [5, 1], 1),
  "key-vault-availability-ml": m(VAULT, "Availability", "Average", "LessThan", 99.9, [5, 1], 1),
};

/** The infrastructure log alerts: the condition that returns rows, the split, the schedule. */
const LOG_ALERTS: Record<string, { condition: RegExp; dimensions: string[]; window: number; frequency: number }> = {
  "sql-failed-logins": {
    condition:
      /\| summarize Failures = count\(\), Principals = make_set\(Principal, 20\) by ClientIp\n\| where Failures > 20$/,
    dimensions: ["ClientIp"],
    window: 15,
    frequency: 5,
  },
  "firewall-threat-intel": {
    condition: /\| summarize Hits = count\(\) by SourceIp\n\| where Hits > 0$/,
    dimensions: ["SourceIp"],
    window: 5,
    frequency: 5,
  },
  // A key updated (a disable is an update), deleted or purged, or a vault deleted: on-call within 5 minutes (SQL heals
  // on its own only if the key is back within 30).
  "cmk-key-disabled-or-deleted": {
    condition:
      /^union isfuzzy=true \(AZKVAuditLogs\), \(datatable\([^)]*\)\[\]\)\n\| where OperationName in \("KeyUpdate", "KeyDelete", "KeyPurge", "VaultDelete"\) and ResultType == "Success"\n\| summarize Events = count\(\), Operations = make_set\(OperationName, 5\), Keys = make_set\(RequestUri, 5\) by _ResourceId\n\| where Events > 0$/,
    dimensions: ["_ResourceId"],
    window: 15,
    frequency: 5,
  },
  "workspace-ingestion": {
    condition:
      /^union isfuzzy=true \(Operation\), \(datatable\([^)]*\)\[\]\)\n\| where OperationStatus in~ \("Warning", "Failed", "Error"\)\n\| summarize Events = count\(\), Details = make_set\(Detail, 5\) by OperationCategory\n\| where Events > 0$/,
    dimensions: ["OperationCategory"],
    window: 60,
    frequency: 15,
  },
};

const iso = (minutes: number) => (minutes % 60 === 0 ? `PT${minutes / 60}H` : `PT${minutes}M`);

/** Every tier, both SQL databases, all vaults, the firewall and audit: every infrastructure alert there is. */
const EVERY_INFRA_ALERT: InfraAlert[] = infraAlerts({
  oltp: { databaseIds: ["db0", "db1"] },
  nosql: { accountId: "cosmos", serverless: false, multiRegion: true },
  olap: { sqlPoolId: "pool", lakeAccountId: "lake" },
  ingestion: { gatewayId: "agw" },
  keyVaults: { main: "kv", cosmos: "kvc", ml: "kvm" },
  firewall: true,
  sqlAudit: true,
  workspace: true,
});

describe("operations alerts: infrastructure thresholds (what pages on-call, and when)", () => {
  let prod: Resources;
  before(async () => {
    prod = (await previewOf("prod")).run.resources;
  });

  it("the table covers every infrastructure alert the specs can produce", () => {
    assert.deepEqual(
      EVERY_INFRA_ALERT.map((a) => a.key).sort(),
      [...Object.keys(METRIC_ALERTS), ...Object.keys(LOG_ALERTS)].sort(),
    );
  });

  for (const [key, want] of Object.entries(METRIC_ALERTS)) {
    it(`${key}: ${want.metric} ${want.aggregation} ${want.operator} ${want.threshold} over ${want.window} min, every ${want.frequency} min, Sev${want.severity}`, () => {
      const spec = EVERY_INFRA_ALERT.find((a) => a.key === key);
      assert.ok(spec?.signal.kind === "metric", key);
      assert.deepEqual(
        {
          namespace: spec.signal.metricNamespace,
          metric: spec.signal.metricName,
          aggregation: spec.signal.aggregation,
          operator: spec.signal.operator,
          threshold: spec.signal.threshold,
          window: spec.signal.windowMinutes,
          frequency: spec.signal.frequencyMinutes,
          dimensions: spec.signal.dimensions ?? [],
          severity: spec.severity,
        },
        { dimensions: [], ...want },
      );
      // As deployed in prod (geo-replication latency only exists on a multi-region account, which prod is not).
      const deployed = prod.find((r) => r.name === `operations-${key}`);
      if (key === "cosmos-replication-latency") return assert.equal(deployed, undefined);
      assert.ok(deployed, `prod deploys ${key}`);
      assert.equal(deployed.type, "azure-native:monitor:MetricAlert");
      const c = criterion(deployed);
      assert.deepEqual(
        {
          namespace: c.metricNamespace,
          metric: c.metricName,
          aggregation: c.timeAggregation,
          operator: c.operator,
          threshold: c.threshold,
          window: deployed.inputs.windowSize,
          frequency: deployed.inputs.evaluationFrequency,
          dimensions: c.dimensions,
          severity: deployed.inputs.severity,
        },
        {
          ...want,
          window: iso(want.window),
          frequency: iso(want.frequency),
          dimensions: (want.dimensions ?? []).map((d) => ({ name: d.name, operator: "Include", values: d.values })),
        },
      );
    });
  }

  for (const [key, want] of Object.entries(LOG_ALERTS)) {
    it(`${key}: fires on ${want.condition.source.split("where ").pop()?.replace("$", "")} per ${want.dimensions.join(", ")}, over ${want.window} min every ${want.frequency} min`, () => {
      const deployed = byName(prod, `operations-${key}`);
      assert.equal(deployed.type, "azure-native:monitor:ScheduledQueryRule");
      assert.match(queryOf(deployed), want.condition);
      assert.deepEqual(dimensionNames(deployed), want.dimensions);
      assert.equal(deployed.inputs.windowSize, iso(want.window));
      assert.equal(deployed.inputs.evaluationFrequency, iso(want.frequency));
    });
  }

  it("a single unhealthy gateway backend pages P1 (any count above zero)", () => {
    const gw = byName(prod, "operations-gateway-unhealthy-backends");
    assert.deepEqual([criterion(gw).operator, criterion(gw).threshold], ["GreaterThan", 0]);
    assert.deepEqual(input(gw, "actions.0.actionGroupId"), byName(prod, "platform-ag-p1").id);
  });

  it("a single threat-intelligence hit raises an alert", () => {
    const fw = byName(prod, "operations-firewall-threat-intel");
    assert.match(queryOf(fw), /\| where Hits > 0$/);
  });

  it("Cosmos DB availability alerts when it falls below 99.99 %, not above", () => {
    const c = criterion(byName(prod, "operations-cosmos-availability"));
    assert.deepEqual([c.operator, c.threshold], ["LessThan", 99.99]);
  });
});

describe("operations alerts: SLA queries count what the SLA means", () => {
  const tiers = { oltp: true, nosql: { accountId: "cosmos" }, ingestion: { gatewayId: "agw" } };
  let prod: Resources;
  before(async () => {
    prod = (await previewOf("prod")).run.resources;
  });

  it("OLTP P99 needs only 50 timed writes in the window to alert (a quiet night still pages)", () => {
    const q = queryOf(byName(prod, "operations-oltp-latency-p99"));
    assert.match(q, /\| where Calls >= 50 and P99Ms > 200$/);
    const spec = slaAlerts({ ...SLA_DEFAULTS }, tiers).find((a) => a.key === "oltp-latency-p99");
    assert.ok(spec?.signal.kind === "log");
    assert.match(spec.signal.query, /Calls >= 50 and/);
  });

  it("API availability counts only server errors (5xx) as failures: WAF blocks and throttling are the client's", () => {
    const q = queryOf(byName(prod, "operations-api-availability"));
    assert.match(q, /Failed = countif\(HttpStatus >= 500\)/);
    assert.doesNotMatch(q, /HttpStatus >= 4\d\d/);
  });

  it("Cosmos DB latency alerts per container (one alert for each slow container)", () => {
    const rule = byName(prod, "operations-cosmos-latency-p99");
    assert.match(queryOf(rule), /by CollectionName\n/);
    assert.deepEqual(dimensionNames(rule), ["CollectionName"]);
    const spec = slaAlerts({ ...SLA_DEFAULTS }, tiers).find((a) => a.key === "cosmos-latency-p99");
    assert.ok(spec?.signal.kind === "log");
    assert.deepEqual(spec.signal.dimensions, ["CollectionName"]);
  });
});

describe("operations alerts: Sentinel analytics rules (security incidents)", () => {
  let prod: Resources;
  let rules: ResourceRecord[];
  const ALL_SOURCES = { sqlAudit: true, keyVaultAudit: true, activityLog: true, firewall: true, storageReads: true };
  const queryOfRule = (key: string) => {
    const rule = analyticsRules(ALL_SOURCES).find((r) => r.key === key);
    assert.ok(rule, key);
    return rule.query;
  };
  before(async () => {
    prod = (await previewOf("prod")).run.resources;
    rules = ofType(prod, "azure-native:securityinsights:ScheduledAlertRule");
  });

  it("every rule raises an incident on its first matching row, unsuppressed, and a closed incident stays closed", () => {
    assert.equal(rules.length, 10);
    for (const r of rules) {
      assert.equal(r.inputs.enabled, true, r.name);
      assert.equal(r.inputs.triggerOperator, "GreaterThan", r.name);
      assert.equal(r.inputs.triggerThreshold, 0, `${r.name}: one row is enough`);
      assert.equal(r.inputs.suppressionEnabled, false, `${r.name}: no suppression after a hit`);
      assert.equal(input(r, "incidentConfiguration.createIncident"), true, `${r.name} creates incidents`);
      assert.equal(input(r, "incidentConfiguration.groupingConfiguration.enabled"), true, r.name);
      assert.equal(
        input(r, "incidentConfiguration.groupingConfiguration.reopenClosedIncident"),
        false,
        `${r.name}: a new hit opens a new incident`,
      );
    }
  });

  it("every rule is created after the diagnostic settings and the activity log that create its tables", () => {
    const activityLog = byName(prod, "operations-activity-log");
    const sqlAudit = byName(prod, "oltp-server-master-diag");
    const settings = ofType(prod, "azure-native:monitor:DiagnosticSetting").filter((d) =>
      /::payments:(oltp:Oltp|nosql:NoSql|ingestion:Ingestion)\$/.test(d.urn),
    );
    assert.ok(settings.length >= 3);
    for (const r of rules) {
      for (const source of [activityLog, sqlAudit, ...settings])
        assert.ok(r.dependencies.includes(source.urn), `${r.name} waits for ${source.name}`);
    }
  });

  it("a single key purge raises an incident (every destructive key, secret and vault operation is watched)", () => {
    const q = String(byName(prod, "operations-rule-key-vault-key-destruction").inputs.query);
    const ops = /\| where OperationName in \(([^)]*)\)/
      .exec(q)?.[1]
      .split(", ")
      .map((s) => JSON.parse(s) as string);
    assert.deepEqual(ops?.sort(), [
      // A certificate or secret disabled (the gateway's TLS certificate is one).
      "CertificateUpdate",
      "KeyDelete",
      "KeyPurge",
      "KeyRotationPolicySet",
      "KeyUpdate",
      "SecretDelete",
      "SecretPurge",
      "SecretUpdate",
      "VaultDelete",
      // A vault's firewall or private endpoint access changed: "changing the key vault's firewall rules" is one of
      // the ways Microsoft lists a server losing its TDE protector.
      "VaultPatch",
      "VaultPut",
    ]);
    // Only operations that happened (a refused delete is no key loss).
    assert.match(q, /\| where ResultType == "Success"\n/);
    assert.equal(q, queryOfRule("key-vault-key-destruction"));
  });

  it("a mass read is more than 100,000 rows in an hour by one principal, or more than 5,000 in one call of an application", () => {
    const q = String(byName(prod, "operations-rule-sql-mass-export").inputs.query);
    assert.match(q, /\| where RowsRead > 100000 or LargestAppCall > 5000$/);
    assert.equal(byName(prod, "operations-rule-sql-mass-export").inputs.queryFrequency, "PT1H");
  });

  it("more than 10 failed logins from one client in an hour raise an incident naming the address and each account", () => {
    const rule = byName(prod, "operations-rule-sql-repeated-failed-logins");
    const q = String(rule.inputs.query);
    assert.match(
      q,
      /\n\| summarize Failures = count\(\), Principals = make_set\(Principal, 20\) by ClientIp\n\| where Failures > 10\n\| mv-expand Principal = Principals to typeof\(string\)$/,
    );
    assert.equal(q, queryOfRule("sql-repeated-failed-logins"));
    assert.equal(rule.inputs.queryFrequency, "PT1H");
    assert.deepEqual(
      (
        rule.inputs.entityMappings as {
          entityType: string;
          fieldMappings: { identifier: string; columnName: string }[];
        }[]
      ).map((e) => [e.entityType, e.fieldMappings.map((f) => `${f.identifier}=${f.columnName}`).join(",")]),
      [
        ["Account", "FullName=Principal"],
        ["IP", "Address=ClientIp"],
      ],
    );
  });

  it("assigning Owner, User Access Administrator, Contributor, RBAC Administrator or Key Vault Administrator raises an incident", () => {
    const roles = [
      "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
      "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
      "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
      "f58310d9-a9f6-439a-9e8d-f62e7b41a168", // Role Based Access Control Administrator
      "00482a5a-887f-4fb3-b363-3b7fe8e74483", // Key Vault Administrator
    ];
    assert.deepEqual([...PRIVILEGED_ROLES].sort(), [...roles].sort());
    const q = String(byName(prod, "operations-rule-privileged-role-assignment").inputs.query);
    const listed = /\| where RoleDefinitionId in~ \(([^)]*)\)/
      .exec(q)?.[1]
      .split(", ")
      .map((s) => JSON.parse(s) as string);
    assert.deepEqual(listed?.sort(), [...roles].sort());
  });
});

describe("operations alerts: a person's bulk read from the lake (Sentinel)", () => {
  const sources = { sqlAudit: false, keyVaultAudit: false, activityLog: false, firewall: false };
  const rule = analyticsRules({ ...sources, storageReads: true }).find((r) => r.key === "storage-bulk-read");

  it("exists where the lake sends its read logs, hourly, High, naming the person and the address", () => {
    assert.ok(rule);
    assert.equal(rule.severity, "High");
    assert.equal(rule.queryFrequency, "PT1H");
    assert.deepEqual(
      rule.entities.map((e) => e.column),
      ["RequesterUpn", "ClientIp"],
    );
    assert.ok(!analyticsRules(sources).some((r) => r.key === "storage-bulk-read"));
  });

  it("counts served reads by people only (a UPN), per person, address and account, over 5 GiB or 5,000 files", () => {
    const q = rule?.query ?? "";
    assert.match(
      q,
      /\| where OperationName in \("GetBlob", "ReadFile"\) and StatusCode in \("200", "206"\) and isnotempty\(RequesterUpn\)/,
    );
    // Per person and account, not per connection: the address is stripped of its port and kept as a set.
    assert.match(q, /by RequesterUpn, AccountName$/m);
    assert.doesNotMatch(q, /by [^\n]*CallerIpAddress/);
    assert.match(q, /File = tostring\(split\(Uri, "\?"\)\[0\]\)/);
    assert.match(q, /Files = dcount\(File\)/);
    assert.match(q, /\| where Bytes > 5368709120 or Files > 5000$/);
    assert.deepEqual(STORAGE_BULK_READ, { bytes: 5 * 1024 ** 3, files: 5000 });
  });
});

describe("operations alerts: the audit trail weakened, or a way in granted (Sentinel)", () => {
  const rule = analyticsRules({ sqlAudit: false, keyVaultAudit: false, activityLog: true, firewall: false }).find(
    (r) => r.key === "audit-trail-or-access-change",
  );
  /** What the rule keeps, read off its query (KQL's in~ ignores case). */
  const kept = (operation: string, status: string): boolean => {
    const q = rule?.query ?? "";
    const list = (re: RegExp) =>
      re
        .exec(q)?.[1]
        .split(", ")
        .map((x) => (JSON.parse(x) as string).toLowerCase());
    const operations = list(/\| where OperationNameValue in~ \(([^)]*)\)/);
    const statuses = list(/ActivityStatusValue in~ \(([^)]*)\)/);
    assert.ok(operations && statuses, "the rule's two filters");
    return operations.includes(operation.toLowerCase()) && statuses.includes(status.toLowerCase());
  };

  it("exists wherever the activity log reaches the workspace (prod), High, with the caller and the resource", () => {
    assert.ok(rule);
    assert.equal(rule.severity, "High");
    assert.deepEqual(
      rule.entities.map((e) => e.column),
      ["Caller", "ClientIp", "_ResourceId"],
    );
    assert.ok(
      !analyticsRules({ sqlAudit: true, keyVaultAudit: true, activityLog: false, firewall: true }).some(
        (r) => r.key === "audit-trail-or-access-change",
      ),
    );
  });

  it("deleting what records or reviews, purging or shortening the logs, and granting a way in that no role shows raise an incident", () => {
    for (const op of [
      "Microsoft.Insights/diagnosticSettings/delete",
      "Microsoft.Network/networkWatchers/flowLogs/write",
      "Microsoft.Network/networkWatchers/flowLogs/delete",
      "microsoft.operationalinsights/workspaces/delete",
      "Microsoft.OperationalInsights/workspaces/purge/action",
      "Microsoft.OperationalInsights/workspaces/tables/write",
      "Microsoft.SecurityInsights/alertRules/delete",
      "Microsoft.Insights/scheduledQueryRules/delete",
      "Microsoft.Insights/actionGroups/delete",
      "Microsoft.Authorization/locks/delete",
      "Microsoft.Sql/servers/administrators/write",
      "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    ])
      assert.ok(kept(op, "Success"), op);
    assert.ok(kept("Microsoft.Insights/diagnosticSettings/delete", "Succeeded"));
  });

  it("so do a Defender plan set back to Free, the security contact changed, Sentinel offboarded or its connector rewritten, the workspace rewritten", () => {
    // None of them changes the subscription deployment or a resource the drift check reads.
    for (const op of [
      "Microsoft.Security/pricings/write",
      "Microsoft.Security/securityContacts/write",
      "Microsoft.Security/securityContacts/delete",
      "Microsoft.SecurityInsights/onboardingStates/delete",
      "Microsoft.SecurityInsights/dataConnectors/write",
      "Microsoft.OperationalInsights/workspaces/write",
    ])
      assert.ok(kept(op, "Success"), op);
  });

  it("rewriting what records or reviews, and what silences without deleting, raise one too", () => {
    for (const op of [
      "Microsoft.Insights/diagnosticSettings/write",
      "Microsoft.Insights/scheduledQueryRules/write",
      "Microsoft.Insights/actionGroups/write",
      "Microsoft.Insights/metricAlerts/write",
      "Microsoft.Insights/activityLogAlerts/write",
      "Microsoft.SecurityInsights/alertRules/write",
      "Microsoft.AlertsManagement/actionRules/write",
      "Microsoft.SecurityInsights/automationRules/write",
    ])
      assert.ok(kept(op, "Success"), op);
  });

  it("reads, other services' writes and refused attempts do not", () => {
    for (const op of [
      "Microsoft.Storage/storageAccounts/write",
      "Microsoft.OperationalInsights/workspaces/query/read",
      "Microsoft.Sql/servers/administrators/read",
    ])
      assert.ok(!kept(op, "Success"), op);
    assert.ok(!kept("Microsoft.Insights/diagnosticSettings/delete", "Failure"));
    assert.ok(!kept("Microsoft.Insights/diagnosticSettings/delete", "Start"));
  });
});

describe("operations alerts: a function app's package written outside a ship (Sentinel)", () => {
  const sources = { sqlAudit: false, keyVaultAudit: false, activityLog: true, firewall: false };
  const rule = analyticsRules({ ...sources, functionPackages: true }).find(
    (r) => r.key === "function-package-write-outside-ship",
  );
  const lines = (rule?.query ?? "").split("\n");

  it("exists where the activity log reaches the workspace and only a ship writes the packages, High, hourly", () => {
    assert.ok(rule);
    assert.equal(rule.severity, "High");
    assert.equal(rule.queryFrequency, "PT1H");
    assert.deepEqual(
      rule.entities.map((e) => [e.type, e.identifier, e.column]),
      [
        ["Account", "AadUserId", "RequesterObjectId"],
        ["IP", "Address", "ClientIp"],
        ["AzureResource", "ResourceId", "_ResourceId"],
      ],
    );
    assert.ok(!analyticsRules(sources).some((r) => r.key === rule.key), "not without the source");
  });

  it("reads a blob write only once the activity log has had time to bring its grant, and looks back far enough for the grant", () => {
    // The activity log takes up to 20 minutes, resource logs up to 10 (data-ingestion-time).
    assert.ok(SHIP_SETTLE_MINUTES >= 20 + 5, "the activity log's lateness and Sentinel's own delay");
    assert.ok(
      lines.includes(
        `| where ingestion_time() > ago(${60 + SHIP_SETTLE_MINUTES}m) and ingestion_time() <= ago(${SHIP_SETTLE_MINUTES}m)), (datatable(TimeGenerated: datetime, Category: string, AccountName: string, OperationName: string, StatusText: string, StatusCode: string, ResponseBodySize: long, Uri: string, RequesterUpn: string, RequesterObjectId: string, CallerIpAddress: string, _ResourceId: string)[])`,
      ),
      "the hour of blob rows ingested until 30 minutes ago",
    );
    // The oldest row read was written up to 10 minutes before its ingestion, 90 minutes ago; its grant up to 30
    // minutes before that: 130 minutes, within the three hours looked back.
    assert.equal(rule?.queryPeriod, "PT3H");
    assert.ok(60 + SHIP_SETTLE_MINUTES + 10 + SHIP_WINDOW_MINUTES <= 180);
  });

  it("matches each write with grants to its own requester, from the grant's Start event, kept when none matches", () => {
    assert.deepEqual(lines.slice(0, 7), [
      "let grants = union isfuzzy=true (AzureActivity",
      '| where OperationNameValue =~ "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE" and ActivityStatusValue in~ ("Start", "Started")',
      // Only the package writer roles' grants (a ship's): a grant of any other role to the identity is the bypass.
      '| extend RoleDefinitionId = extract(@"(?i)roleDefinitions/([0-9a-f-]{36})", 1, tostring(Properties_d.requestbody))',
      `| where RoleDefinitionId in~ (${PACKAGE_WRITER_ROLES_TOKEN})`,
      `| extend Principal = tolower(extract(@'(?i)"principalId"\\s*:\\s*"([0-9a-f-]{36})"', 1, tostring(Properties_d.requestbody)))`,
      "| where isnotempty(Principal)",
      "| project GrantTime = TimeGenerated, Principal), (datatable(GrantTime: datetime, Principal: string)[]);",
    ]);
    // The request body's principal, however the activity log cases the property.
    const principal = /extract\(@'([^']*)'/.exec(lines[4])?.[1] ?? "";
    const re = new RegExp(principal.replace("(?i)", ""), "i");
    const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    assert.equal(re.exec(`{"Properties":{"PrincipalId":"${id}","RoleDefinitionId":"/x"}}`)?.[1], id);
    assert.equal(re.exec(`{"properties":{"principalId": "${id}"}}`)?.[1], id);
    // A left outer join on the requester (a write with no grant stays, with no grant time), the window after a grant,
    // and only the rows outside every window.
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    assert.equal(
      lines[at("| extend Principal = tolower(RequesterObjectId)") + 1],
      "| join kind=leftouter (grants) on Principal",
    );
    assert.match(
      lines[at("| summarize InShip")],
      new RegExp(
        `^\\| summarize InShip = countif\\(TimeGenerated between \\(GrantTime \\.\\. \\(GrantTime \\+ ${SHIP_WINDOW_MINUTES}m\\)\\)\\) by TimeGenerated, `,
      ),
    );
    assert.equal(lines[at("| summarize InShip") + 1], "| where InShip == 0");
  });

  it("names the package writer roles' GUIDs, from their ids, once the stack knows them (prod: the two groups' roles)", async () => {
    const id = (g: string) => `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${g}`;
    const g1 = "0b0d1e6a-0000-5000-8000-00000000000a";
    const g2 = "0b0d1e6a-0000-5000-8000-00000000000b";
    const query = withStackIds(rule?.query ?? "", [id(g1), id(g2.toUpperCase())]);
    assert.ok(query.includes(`| where RoleDefinitionId in~ ("${g1}", "${g2}")`));
    assert.throws(() => withStackIds(rule?.query ?? "", []), /the package rules need the package writer roles' ids/);
    assert.equal(withStackIds("AzureActivity | take 1", []), "AzureActivity | take 1");
    const prod = (await previewOf("prod")).run.resources;
    const deployed = String(byName(prod, "operations-rule-function-package-write-outside-ship").inputs.query);
    const roles = ["ingestion-package-writer", "streaming-package-writer"].map((r) =>
      String(byName(prod, r).inputs.roleDefinitionId),
    );
    assert.ok(
      deployed.includes(`| where RoleDefinitionId in~ (${roles.map((g) => `"${g}"`).join(", ")})`),
      deployed.split("\n")[3],
    );
  });

  it("watches every write and delete of the package container and its blobs, and counts refusals (403) apart", () => {
    assert.ok(lines.includes('| where Category in ("StorageWrite", "StorageDelete")'));
    const container = /^\| where Uri matches regex @"(.*)"$/.exec(
      lines.find((l) => l.startsWith("| where Uri")) ?? "",
    )?.[1];
    assert.ok(container, "a container filter");
    const inContainer = (uri: string) => new RegExp(container).test(uri);
    const base = "https://stpayprodweupayapi1234.blob.core.windows.net:443";
    assert.ok(inContainer(`${base}/${DEPLOYMENT_CONTAINER}/released-package.zip?sv=x`), "a blob");
    assert.ok(inContainer(`${base}/${DEPLOYMENT_CONTAINER}?restype=container`), "the container itself");
    assert.ok(!inContainer(`${base}/${DEPLOYMENT_CONTAINER}-old/x`), "another container");
    assert.ok(!inContainer(`${base}/azure-webjobs-hosts/locks/x`));
    assert.match(lines.at(-1) ?? "", /Refused = countif\(StatusCode == "403"\)/);
  });
});

describe("operations alerts: a package writer role granted outside the deploy workflow (Sentinel)", () => {
  const sources = { sqlAudit: false, keyVaultAudit: false, activityLog: true, firewall: false, functionPackages: true };
  const rule = analyticsRules({ ...sources, packageWriterGrants: true }).find(
    (r) => r.key === "package-writer-granted-outside-deploy",
  );
  const roleGuid = "0b0d1e6a-0000-5000-8000-00000000000a";
  const deployObject = "22222222-aaaa-4bbb-8ccc-000000000002";
  const query = withStackIds(
    rule?.query ?? "",
    [`/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`],
    [deployObject.toUpperCase()],
  );
  /** Whether a Start event of a role assignment write is raised, read off the query's filters (`in~`: no case). */
  const raised = (role: string, caller: string): boolean => {
    const list = (re: RegExp) =>
      re
        .exec(query)?.[1]
        .split(", ")
        .map((x) => (JSON.parse(x) as string).toLowerCase());
    const roles = list(/\| where RoleDefinitionId in~ \(([^)]*)\)/);
    const allowed = list(/\| where Caller !in~ \(([^)]*)\)/);
    assert.ok(roles && allowed, "the role and caller filters");
    return roles.includes(role.toLowerCase()) && !allowed.includes(caller.toLowerCase());
  };

  it("exists with the package rule once the deploy identity is configured, High, every 15 minutes", () => {
    assert.ok(rule);
    assert.equal(rule.severity, "High");
    assert.equal(rule.queryFrequency, "PT15M");
    assert.deepEqual(
      rule.entities.map((e) => e.column),
      ["Caller", "ClientIp", "_ResourceId"],
    );
    assert.ok(!analyticsRules(sources).some((r) => r.key === rule.key), "not without operations.deployPrincipalId");
    assert.deepEqual(query.split("\n").slice(2), [
      '| where OperationNameValue =~ "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE" and ActivityStatusValue in~ ("Start", "Started")',
      '| extend RoleDefinitionId = extract(@"(?i)roleDefinitions/([0-9a-f-]{36})", 1, tostring(Properties_d.requestbody))',
      `| where RoleDefinitionId in~ ("${roleGuid}")`,
      `| where Caller !in~ ("${deployObject}")`,
      "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, RoleDefinitionId, ResourceGroup, _ResourceId",
    ]);
  });

  it("a package writer role granted by anyone but the deploy identity raises an incident", () => {
    assert.ok(raised(roleGuid, "someone@payments.example.com"));
    assert.ok(raised(roleGuid.toUpperCase(), "33333333-aaaa-4bbb-8ccc-000000000003"));
    assert.ok(!raised(roleGuid, deployObject.toUpperCase()), "the deploy workflow's object id");
    assert.ok(
      !raised("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "someone@payments.example.com"),
      "another role: not this rule's",
    );
    assert.throws(
      () => withStackIds(rule?.query ?? "", [`/x/roleDefinitions/${roleGuid}`], []),
      /needs the deploy identity's ids/,
    );
  });

  it("in prod, exists only with operations.deployPrincipalId, naming the stack's writer roles and that identity", async function () {
    this.timeout(120_000);
    const committed = (await previewOf("prod")).run.resources;
    assert.ok(!committed.some((r) => r.name === "operations-rule-package-writer-granted-outside-deploy"));
    const id = DEPLOY_PRINCIPAL_ID;
    const prod = (await prodWithDeployPrincipalOf()).run.resources;
    const deployed = String(byName(prod, "operations-rule-package-writer-granted-outside-deploy").inputs.query);
    const roles = ["ingestion-package-writer", "streaming-package-writer"].map((r) =>
      String(byName(prod, r).inputs.roleDefinitionId),
    );
    assert.ok(deployed.includes(`| where RoleDefinitionId in~ (${roles.map((g) => `"${g}"`).join(", ")})`));
    assert.ok(deployed.includes(`| where Caller !in~ ("${id}")`), deployed);
  });
});

describe("operations alerts: Azure ML network changes (Sentinel)", () => {
  const rule = analyticsRules({ sqlAudit: false, keyVaultAudit: false, activityLog: true, firewall: false }).find(
    (r) => r.key === "ml-workspace-network-change",
  );
  /**
   * What the rule's filters keep, read off its query: the namespace prefix, the `contains` terms and the statuses
   * (KQL's startswith, contains and in~ ignore case).
   */
  const kept = (operation: string, status: string): boolean => {
    const q = rule?.query ?? "";
    const prefix = /\| where OperationNameValue startswith "([^"]+)"/.exec(q)?.[1];
    const terms = [...q.matchAll(/OperationNameValue contains "([^"]+)"/g)].map((m) => m[1]);
    const statuses = /ActivityStatusValue in~ \(([^)]*)\)/
      .exec(q)?.[1]
      .split(", ")
      .map((x) => JSON.parse(x) as string);
    assert.ok(prefix && terms.length > 0 && statuses, "the rule's three filters");
    const op = operation.toUpperCase();
    return (
      op.startsWith(prefix.toUpperCase()) &&
      terms.some((t) => op.includes(t.toUpperCase())) &&
      statuses.some((x) => x.toLowerCase() === status.toLowerCase())
    );
  };

  it("exists wherever the activity log reaches the workspace, with the caller and the workspace as entities", () => {
    assert.ok(rule);
    assert.equal(rule.severity, "Medium");
    assert.deepEqual(
      rule.entities.map((e) => e.column),
      ["Caller", "ClientIp", "_ResourceId"],
    );
    assert.ok(
      !analyticsRules({ sqlAudit: true, keyVaultAudit: true, activityLog: false, firewall: true }).some(
        (r) => r.key === "ml-workspace-network-change",
      ),
    );
  });

  it("a new outbound rule through the GA path or the managed network, or an endpoint connection, raises an incident", () => {
    for (const op of [
      "Microsoft.MachineLearningServices/workspaces/outboundRules/write",
      "MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/OUTBOUNDRULES/DELETE",
      "Microsoft.MachineLearningServices/workspaces/managedNetworks/write",
      "Microsoft.MachineLearningServices/workspaces/managedNetworks/outboundRules/write",
      "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write",
    ])
      assert.ok(kept(op, "Succeeded"), op);
    // Every network operation the team's role withholds by name is watched too (and the GA path it cannot name).
    for (const op of TEAM_NETWORK_NOT_ACTIONS) assert.ok(kept(op, "Success"), op);
  });

  it("the team's everyday work (jobs, models, endpoints, deployments), refused attempts and other services do not", () => {
    for (const op of [
      "Microsoft.MachineLearningServices/workspaces/jobs/write",
      "Microsoft.MachineLearningServices/workspaces/models/versions/write",
      "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
      "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
      "Microsoft.DocumentDB/databaseAccounts/privateEndpointConnections/write",
      "Microsoft.Network/privateEndpoints/write",
    ])
      assert.ok(!kept(op, "Succeeded"), op);
    assert.ok(!kept("Microsoft.MachineLearningServices/workspaces/outboundRules/write", "Failed"), "a refused write");
  });
});

describe("operations alerts: routing (who hears an alert)", () => {
  let prod: Resources;
  before(async () => {
    prod = (await previewOf("prod")).run.resources;
  });

  it("the incident tool's webhook is on P1 and P2 only in prod; P3 goes to e-mail alone", () => {
    const cfg = configOf("prod");
    assert.deepEqual(
      ALERT_PRIORITIES.map((p) => [p, receiversOf(cfg, p).webhook]),
      [
        ["p1", true],
        ["p2", true],
        ["p3", false],
      ],
    );
    assert.equal(securityReceiversOf(cfg).webhook, true);
    // No URL is configured in the committed stack: no group carries a webhook it was not asked for.
    for (const p of ALERT_PRIORITIES) {
      const group = byName(prod, `platform-ag-${p}`);
      const hooks = (group.inputs.webhookReceivers as unknown[] | undefined) ?? [];
      if (!receiversOf(cfg, p).webhook) assert.deepEqual(hooks, [], `${p} has no webhook`);
    }
  });

  it("with the incident tool's URL set, prod's webhook reaches P1, P2 and security operations, never P3", async () => {
    // The committed stacks set no URL: build prod's groups alone under mocks, once the shared previews are done (the
    // mock engine is process-global; the next preview resets it).
    await Promise.all([previewOf("dev"), previewOf("prod")]);
    const registered = new Map<string, Record<string, unknown>>();
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.set(a.name, a.inputs as Record<string, unknown>);
          return { id: `${a.name}-id`, state: a.inputs as Record<string, unknown> };
        },
        call: (a) => a.inputs as Record<string, unknown>,
      },
      "payments-data-platform",
      "prod",
      false,
    );
    const parent = new pulumi.ComponentResource("test:routing:Routing", "routing");
    const routing = severityActionGroups(
      "platform",
      {
        context: stackContext(configOf("prod")),
        resourceGroupName: "rg-monitoring",
        webhookUrl: "https://incidents.example.com/hook",
        tags: {},
      },
      parent,
    );
    const ids = [...Object.values(routing.actionGroupIds), routing.securityActionGroupId];
    await Promise.all(ids.map((id) => new Promise((resolve) => pulumi.output(id).apply(resolve))));
    // The receivers are registered as a secret (the mocks see its envelope: the signature key and the value).
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const unsecret = (v: unknown) => {
      assert.ok(v && typeof v === "object" && SECRET_SIG in v, "webhookReceivers is a secret, empty or not");
      return (v as unknown as { value: Record<string, unknown>[] }).value;
    };
    const hooks = (key: string) =>
      unsecret(registered.get(`platform-ag-${key}`)?.webhookReceivers).map((w) => [
        w.serviceUri,
        w.useCommonAlertSchema,
      ]);
    const hook = [["https://incidents.example.com/hook", true]];
    // Without the URL, prod's routing (P1 and P2 to the webhook) says it pages by e-mail only, naming the key.
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warned.push(String(a[0]));
    try {
      const quiet = severityActionGroups(
        "nohook",
        { context: stackContext(configOf("prod")), resourceGroupName: "rg-monitoring", tags: {} },
        parent,
      );
      await new Promise((resolve) => pulumi.output(quiet.actionGroupIds.p1).apply(resolve));
      // P1 routed away from the webhook while the URL is set: P1 alone pages by e-mail, said on its own.
      const prodCfg = configOf("prod");
      const unhooked = severityActionGroups(
        "unhooked",
        {
          context: stackContext({
            ...prodCfg,
            operations: { ...prodCfg.operations, routing: { ...prodCfg.operations.routing, p1: { webhook: false } } },
          }),
          resourceGroupName: "rg-monitoring",
          webhookUrl: "https://incidents.example.com/hook",
          tags: {},
        },
        parent,
      );
      await new Promise((resolve) => pulumi.output(unhooked.actionGroupIds.p1).apply(resolve));
    } finally {
      console.warn = warn;
    }
    // One warning: P1 and P2 page by e-mail only, with what that means for P1 (the rate limit, the shared addresses).
    assert.deepEqual(warned, [
      "warning: [runtime] operations.routing sends P1, P2 to the incident webhook, but alertWebhookUrl is not set: they page by e-mail only (Azure Monitor sends an address at most 100 e-mails an hour, across all subscriptions, and drops the rest, and P1's resource-health alert alone (every resource of the stack) can reach that in a regional incident; here P1 also shares data-platform-oncall@payments.example.com (with P2, P3, security), security-operations@payments.example.com (with P2, P3, security)) (pulumi config set --secret alertWebhookUrl <https url>)",
      "warning: [runtime] operations.routing.p1.webhook is false: P1 pages by e-mail only (Azure Monitor sends an address at most 100 e-mails an hour, across all subscriptions, and drops the rest, and P1's resource-health alert alone (every resource of the stack) can reach that in a regional incident; here P1 also shares data-platform-oncall@payments.example.com (with P2, P3, security), security-operations@payments.example.com (with P2, P3, security)); set it to true, with alertWebhookUrl set (webhooks are not rate limited)",
    ]);
    assert.deepEqual(unsecret(registered.get("nohook-ag-p1")?.webhookReceivers), []);
    assert.deepEqual(
      ["p1", "p2", "p3", "security"].map((k) => [k, hooks(k)]),
      [
        ["p1", hook],
        ["p2", hook],
        ["p3", []],
        ["security", hook],
      ],
    );
  });

  it("P1 paging by e-mail only is named with the rate limit, and the addresses it shares with other groups", () => {
    const prod = configOf("prod");
    const both = ["data-platform-oncall@payments.example.com", "security-operations@payments.example.com"];
    // The committed prod stack: every group e-mails the same two addresses, and no webhook URL is set.
    assert.equal(p1PagesByEmailOnly(prod, false), true);
    assert.deepEqual(
      p1SharedAddresses(prod, false),
      both.map((address) => ({ address, groups: ["P2", "P3", "security"] })),
    );
    // With the URL set, P1 pages through the webhook (not rate limited): nothing to say.
    assert.equal(p1PagesByEmailOnly(prod, true), false);
    assert.deepEqual(p1SharedAddresses(prod, true), []);
    const withRouting = (routing: object) => ({
      ...prod,
      operations: { ...prod.operations, routing: { ...prod.operations.routing, ...routing } },
    });
    // P1 without a webhook of its own pages by e-mail even when the URL is set.
    const noHook = withRouting({ p1: { webhook: false } });
    assert.equal(p1PagesByEmailOnly(noHook, true), true);
    assert.equal(p1SharedAddresses(noHook, true).length, 2);
    // P1 on an address of its own (compared case-insensitively) still pages by e-mail only, sharing nothing; a group
    // that shares it is named.
    const own = withRouting({ p1: { webhook: false, emails: ["Pager@payments.example.com"] } });
    assert.equal(p1PagesByEmailOnly(own, true), true);
    assert.deepEqual(p1SharedAddresses(own, true), []);
    assert.deepEqual(
      p1SharedAddresses(
        withRouting({ ...own.operations.routing, p3: { webhook: false, emails: ["pager@PAYMENTS.example.com"] } }),
        true,
      ),
      [{ address: "pager@payments.example.com", groups: ["P3"] }],
    );
    // Without Sentinel there is no security group to share with.
    const noSentinel = { ...prod, operations: { ...prod.operations, sentinel: false } };
    assert.deepEqual(
      p1SharedAddresses(noSentinel, false).map((s) => s.groups),
      [
        ["P2", "P3"],
        ["P2", "P3"],
      ],
    );
    // The note: the limit always (P1's own resource-health alert can reach it), the shared addresses when there are.
    assert.equal(
      emailOnlyNote([]),
      "Azure Monitor sends an address at most 100 e-mails an hour, across all subscriptions, and drops the rest, and P1's resource-health alert alone (every resource of the stack) can reach that in a regional incident",
    );
    assert.match(
      emailOnlyNote([{ address: "a@b.example", groups: ["P3"] }]),
      /; here P1 also shares a@b\.example \(with P3\)$/,
    );
  });

  it("every action group is enabled and sends the common alert schema to each receiver", () => {
    const groups = ofType(prod, "azure-native:monitor:ActionGroup");
    assert.deepEqual(groups.map((g) => g.name).sort(), [
      "platform-ag-p1",
      "platform-ag-p2",
      "platform-ag-p3",
      "platform-ag-security",
    ]);
    for (const g of groups) {
      assert.equal(g.inputs.enabled, true, `${g.name} is enabled`);
      const receivers = [
        ...((g.inputs.emailReceivers as { useCommonAlertSchema: boolean }[] | undefined) ?? []),
        ...((g.inputs.webhookReceivers as { useCommonAlertSchema: boolean }[] | undefined) ?? []),
      ];
      assert.ok(receivers.length > 0, `${g.name} notifies someone`);
      for (const r of receivers) assert.equal(r.useCommonAlertSchema, true, g.name);
    }
  });
});

describe("operations alerts: subscription governance (prod)", () => {
  let prod: Resources;
  const templateResources = () =>
    input(byName(prod, "operations-defender"), "properties.template.resources") as {
      type: string;
      name: string;
      properties: Record<string, unknown>;
    }[];
  before(async () => {
    prod = (await previewOf("prod")).run.resources;
  });

  it("the activity log sends its Security category (and the Azure Activity connector's others) to the workspace", () => {
    const expected = [
      "Administrative",
      "Security",
      "ServiceHealth",
      "Alert",
      "Recommendation",
      "Policy",
      "Autoscale",
      "ResourceHealth",
    ];
    assert.deepEqual([...ACTIVITY_LOG_CATEGORIES].sort(), [...expected].sort());
    const logs = byName(prod, "operations-activity-log").inputs.logs as { category: string; enabled: boolean }[];
    assert.deepEqual(logs.map((l) => l.category).sort(), [...expected].sort());
    assert.ok(logs.every((l) => l.enabled));
  });

  it("Defender for Cloud covers SQL, Cosmos DB, Key Vault, Storage and Resource Manager", () => {
    const want = ["Arm", "CosmosDbs", "KeyVaults", "SqlServers", "StorageAccounts"];
    assert.deepEqual(DEFENDER_PLANS.map((p) => p.name).sort(), want);
    const deployed = templateResources().filter((r) => r.type === "Microsoft.Security/pricings");
    assert.deepEqual(deployed.map((p) => p.name).sort(), want);
    assert.ok(deployed.every((p) => p.properties.pricingTier === "Standard"));
  });

  it("Defender for Storage looks for card data where it should not be (sensitive data discovery on)", () => {
    const storage = templateResources().find((r) => r.name === "StorageAccounts");
    const ext = storage?.properties.extensions as { name: string; isEnabled: string }[];
    assert.equal(ext.find((e) => e.name === "SensitiveDataDiscovery")?.isEnabled, "True");
  });

  it("the security contact hears Defender alerts of medium severity and above", () => {
    const contact = templateResources().find((r) => r.type === "Microsoft.Security/securityContacts");
    assert.deepEqual(contact?.properties.notificationsSources, [{ sourceType: "Alert", minimalSeverity: "Medium" }]);
    const pure = defenderTemplate(DEFENDER_PLANS, ["sec@example.com"]).resources as {
      type: string;
      properties: { notificationsSources: unknown };
    }[];
    assert.deepEqual(
      pure.find((r) => r.type === "Microsoft.Security/securityContacts")?.properties.notificationsSources,
      [{ sourceType: "Alert", minimalSeverity: "Medium" }],
    );
  });

  it("with operations.securityContact false the stack leaves the contact to its owner (an ALZ assignment, say)", async function () {
    this.timeout(60_000);
    // Pure: no contact in the template without addresses; the plans stay.
    const pure = defenderTemplate(DEFENDER_PLANS, undefined).resources as { type: string }[];
    assert.equal(pure.filter((r) => r.type === "Microsoft.Security/securityContacts").length, 0);
    assert.equal(pure.filter((r) => r.type === "Microsoft.Security/pricings").length, DEFENDER_PLANS.length);
    // Wired from the config: prod's deployment then carries the plans only.
    const { run } = await previewEdited(
      "prod",
      (config) => {
        const ops = config["payments-data-platform:operations"] as Record<string, unknown>;
        ops.securityContact = false;
      },
      { skipSchema: true },
    );
    const types = (
      input(byName(run.resources, "operations-defender"), "properties.template.resources") as { type: string }[]
    ).map((r) => r.type);
    assert.ok(!types.includes("Microsoft.Security/securityContacts"), types.join(", "));
    assert.ok(types.includes("Microsoft.Security/pricings"));
  });
});

describe("operations alerts: streaming freshness and watermark", () => {
  const resources: Partial<Record<"dev" | "prod", Resources>> = {};
  before(async () => {
    resources.dev = (await previewOf("dev")).run.resources;
    resources.prod = (await previewOf("prod")).run.resources;
  });

  for (const [stack, minutes, frequency, sleeps] of [
    ["prod", 10, "PT10M", false],
    ["dev", 60, "PT15M", true],
  ] as const) {
    it(`${stack}: no row loaded for ${minutes} minutes fires (fewer than 1 row written), checked every ${Math.min(minutes, 15)} min`, () => {
      const alert = byName(resources[stack] ?? [], "streaming-freshness-alert");
      const c = criterion(alert);
      assert.deepEqual(
        [c.metricMeasureColumn, c.timeAggregation, c.operator, c.threshold],
        ["RowsWritten", "Total", "LessThan", 1],
      );
      assert.equal(alert.inputs.windowSize, iso(minutes));
      assert.equal(alert.inputs.evaluationFrequency, frequency, "as often as the window, at most every 15 minutes");
    });

    it(
      sleeps
        ? `${stack}: the job sleeps off hours, so the freshness alert is stateless and pages again each hour`
        : `${stack}: the freshness alert is stateful (fires once, resolves when rows flow again)`,
      () => {
        const alert = byName(resources[stack] ?? [], "streaming-freshness-alert");
        assert.equal(alert.inputs.autoMitigate, !sleeps);
        // dev's pool sleeps until resumed, so a day without rows is expected there: one notice a working day.
        assert.equal(alert.inputs.muteActionsDuration, sleeps ? "P1D" : undefined);
      },
    );
  }

  it("the watermark alert takes the worst delay of the window, not the average, per minute with its time column", () => {
    const shape = /\| summarize DelaySeconds = max\(Maximum\) by bin\(TimeGenerated, 1m\)$/;
    assert.match(watermarkQuery("/job"), shape);
    for (const stack of ["dev", "prod"] as const) {
      const wm = byName(resources[stack] ?? [], "streaming-watermark-alert");
      assert.match(queryOf(wm), shape);
      assert.equal(criterion(wm).timeAggregation, "Maximum");
    }
  });
});
