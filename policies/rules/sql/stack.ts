/**
 * Stack policies: every server audited and alerting, every production database with long-term retention.
 */
import { ofType, refersTo, stackPolicy } from "../../lib/policy";
import { inScopeKnob, inStacks, outOfScopeTag, prodStacksKnob } from "../../lib/scope";
import { presence, sameText, valueAt, who } from "../../lib/values";
import {
  SQL_SERVER,
  SQL_DATABASE,
  SQL_AUDITING,
  SQL_EXTENDED_AUDITING,
  SQL_SECURITY_ALERT,
  SQL_LTR,
  SECURITY_PRICING,
  DOCS,
} from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Stack policies
// ---------------------------------------------------------------------------------------------------------------

/** A server child (auditing or security alert policy) names its server in `serverName`. */
export const SERVER_CHILD = { properties: ["serverName"], byName: { nameKeys: ["serverName"] } };
/** A database child (LTR policy) names its database in `databaseName`, on the same `serverName`. */
export const DATABASE_CHILD = {
  properties: ["databaseName"],
  byName: { nameKeys: ["databaseName"], siblingKeys: ["serverName"] },
};

export const sqlServerAuditingPresent = stackPolicy(
  {
    name: "azure-native-sql-server-require-auditing-policy",
    description:
      "Every Azure SQL logical server in the stack has an enabled server-level auditing policy (ExtendedServerBlobAuditingPolicy or ServerBlobAuditingPolicy).",
    severity: "high",
    pci: ["10.2.1", "10.2.2"],
    gdpr: ["5(2)", "32(1)(b)", "33"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      'Add an `sql.ExtendedServerBlobAuditingPolicy` with `serverName` set to the server, `state: "Enabled"` and `isAzureMonitorTargetEnabled: true`.',
    url: `${DOCS}/auditing-overview`,
  },
  (args, report) => {
    const servers = ofType(args.resources, SQL_SERVER);
    if (servers.length === 0) args.notApplicable("the stack has no Azure SQL servers");
    const audits = ofType(args.resources, SQL_AUDITING, SQL_EXTENDED_AUDITING);
    for (const server of servers) {
      const linked = audits.filter((a) => refersTo(a, server, SERVER_CHILD));
      // A state unknown during preview counts as enabled; the resource rule checks literal values.
      if (linked.some((a) => !sameText(valueAt(a.props, "state"), "Disabled"))) continue;
      report(
        linked.length > 0
          ? `${who(server)} has only disabled auditing policies (${linked.map((a) => a.name).join(", ")}): set their state to "Enabled".`
          : `${who(server)} has no server-level auditing policy: add an azure-native:sql:ExtendedServerBlobAuditingPolicy with serverName set to this server, state "Enabled" and isAzureMonitorTargetEnabled true.`,
        server.urn,
      );
    }
  },
);

export const sqlServerDefenderPresent = stackPolicy(
  {
    name: "azure-native-sql-server-require-security-alert-policy",
    description:
      "Every Azure SQL logical server in the stack has an enabled server security alert policy (Microsoft Defender for SQL threat detection).",
    severity: "high",
    pci: ["11.5.1", "10.4.1.1", "12.10.5"],
    gdpr: ["33"],
    soc2: ["CC7.3"],
    service: "sql",
    remediationSteps:
      'Add an `sql.ServerSecurityAlertPolicy` with `serverName` set to the server and `state: "Enabled"` (or, with `acceptSubscriptionPlan`, the "SqlServers" plan at the "Standard" tier as a `security.Pricing` in the stack; a plan in an ARM deployment template is not visible to stack policies).',
    url: `${DOCS}/azure-defender-for-sql`,
    config: {
      acceptSubscriptionPlan: {
        type: "boolean",
        default: false,
        description:
          'Accept the "SqlServers" Defender plan at the "Standard" tier in the stack (a security.Pricing resource: Defender for SQL for the whole subscription) instead of per-server policies. A plan set in an ARM deployment\'s template does not count: stack policies see a deployment\'s outputs, which carry no template.',
      },
    },
  },
  (args, report) => {
    const servers = ofType(args.resources, SQL_SERVER);
    if (servers.length === 0) args.notApplicable("the stack has no Azure SQL servers");
    const { acceptSubscriptionPlan } = args.getConfig<{ acceptSubscriptionPlan: boolean }>();
    // `pricingName` is part of the plan's path, so not an output: the engine shows the plan's `name` instead. A plan
    // set in an ARM deployment's template does not count: stack policies see a deployment's outputs, which carry no
    // template (tools/lib/outputShape.ts).
    const typedPlan = ofType(args.resources, SECURITY_PRICING).some(
      (p) =>
        (valueAt(p.props, "pricingName") ?? valueAt(p.props, "name")) === "SqlServers" &&
        valueAt(p.props, "pricingTier") === "Standard",
    );
    if (acceptSubscriptionPlan && typedPlan) {
      return;
    }
    if (acceptSubscriptionPlan) {
      // A Standard plan whose name is unknown during a first preview may be the SqlServers one: reading the name
      // makes the rule "can't run during preview" (advisory) rather than failing servers the plan covers.
      const undecided = ofType(args.resources, SECURITY_PRICING).find(
        (p) =>
          presence(p.props, "pricingName") !== "set" &&
          presence(p.props, "name") === "unknown" &&
          valueAt(p.props, "pricingTier") === "Standard",
      );
      if (undecided) void (undecided.props as Record<string, unknown>).name;
    }
    const policies = ofType(args.resources, SQL_SECURITY_ALERT);
    for (const server of servers) {
      const linked = policies.filter((p) => refersTo(p, server, SERVER_CHILD));
      if (linked.some((p) => !sameText(valueAt(p.props, "state"), "Disabled"))) continue;
      report(
        linked.length > 0
          ? `${who(server)} has only disabled security alert policies (${linked.map((p) => p.name).join(", ")}): set their state to "Enabled".`
          : `${who(server)} has no Defender for SQL security alert policy: add an azure-native:sql:ServerSecurityAlertPolicy with serverName set to this server and state "Enabled".`,
        server.urn,
      );
    }
  },
);

export const sqlDatabaseLtrPresent = stackPolicy(
  {
    name: "azure-native-sql-database-require-long-term-retention",
    description:
      "Every in-scope Azure SQL database in a production stack, geo-secondaries included, has a long-term retention policy, so backups outlive the 35-day point-in-time window and continue after a failover.",
    severity: "medium",
    pci: ["12.10.1"],
    gdpr: ["32(1)(c)"],
    soc2: ["A1.2"],
    service: "sql",
    remediationSteps:
      'Add an `sql.LongTermRetentionPolicy` with `serverName` and `databaseName` set to the database and e.g. `weeklyRetention: "P12W"`, `monthlyRetention: "P12M"`, `yearlyRetention: "P10Y"`, `weekOfYear: 1`.',
    url: `${DOCS}/long-term-retention-overview`,
    config: { prodStacks: prodStacksKnob(), inScopeTagValues: inScopeKnob() },
  },
  (args, report) => {
    const { prodStacks, inScopeTagValues } = args.getConfig<{ prodStacks: string[]; inScopeTagValues: string[] }>();
    const databases = ofType(args.resources, SQL_DATABASE);
    if (databases.length === 0) args.notApplicable("the stack has no Azure SQL databases");
    const ltr = ofType(args.resources, SQL_LTR);
    const checked = databases.filter(
      (db) => inStacks(db.urn, prodStacks) && outOfScopeTag(db.props, inScopeTagValues) === undefined,
    );
    if (checked.length === 0)
      args.notApplicable("no in-scope Azure SQL database in a stack of prodStacks (nothing to check)");
    for (const db of checked) {
      // Geo-secondaries included: Microsoft asks for the same LTR policy there, so backups go on after a failover.
      if (ltr.some((p) => refersTo(p, db, DATABASE_CHILD))) continue;
      report(
        `${who(db)} has no long-term retention policy: add an azure-native:sql:LongTermRetentionPolicy with databaseName set to this database (e.g. monthlyRetention "P12M").`,
        db.urn,
      );
    }
  },
);
