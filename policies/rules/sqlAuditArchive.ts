/**
 * A server audit that leaves records out (`predicateExpression`) keeps a complete trail only if a database audit keeps
 * exactly those records, somewhere they cannot be changed: the audit archive (components/oltp/auditArchive.ts).
 * PCI DSS 10.2.1 (an audit trail of all access), 10.3.2 (audit logs protected from modification), 10.5.1 (kept 12
 * months).
 */
import type { Policies } from "@pulumi/policy";
import { isComplement, parsePredicate, type ParsedPredicate } from "../lib/auditPredicate";
import type { PolicyResource } from "@pulumi/policy";
import { ofType, references, refersTo, stackPolicy } from "../lib/policy";
import { presence, safeGet, sameText, show, stringsAt, valueAt, who } from "../lib/values";

const SQL_SERVER = "azure-native:sql:Server";
const SQL_DATABASE = "azure-native:sql:Database";
const SERVER_AUDIT = "azure-native:sql:ExtendedServerBlobAuditingPolicy";
export const DATABASE_AUDIT = "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy";
const ACCOUNT = "azure-native:storage:StorageAccount";
const IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy";
const SERVER_CHILD = { properties: ["serverName"], byName: { nameKeys: ["serverName"] } };
const DATABASE_CHILD = {
  properties: ["databaseName"],
  byName: { nameKeys: ["databaseName"], siblingKeys: ["serverName"] },
};

/**
 * The predicate a policy filters its records with, or undefined without one. An unknown output (a first preview of a
 * policy that sets none: Azure computes it) reads as none; the deployed view, which the offline gate and `pulumi up`
 * evaluate too, has the value.
 */
function predicateOf(r: PolicyResource): string | undefined {
  const v = valueAt(r.props, "predicateExpression");
  return presence(r.props, "predicateExpression") === "set" && typeof v === "string" && v !== "" ? v : undefined;
}

/** Whether `child` (an account's container policy) sits under `parent`: wired to it, naming it, or by ids. */
function under(child: PolicyResource, parent: PolicyResource): boolean {
  if (references(child, parent)) return true;
  const named = valueAt(child.props, "accountName");
  if (
    typeof named === "string" &&
    [valueAt(parent.props, "name"), valueAt(parent.props, "accountName")].some((n) => sameText(n, named))
  )
    return true;
  const [c, p] = [safeGet(child.props, "id"), safeGet(parent.props, "id")];
  return typeof c === "string" && typeof p === "string" && p !== "" && c.startsWith(`${p.replace(/\/+$/, "")}/`);
}

/** The storage account a database audit writes to: wired through `storageEndpoint`, or named by its host. */
function accountOf(audit: PolicyResource, accounts: readonly PolicyResource[]): PolicyResource | undefined {
  const endpoint = valueAt(audit.props, "storageEndpoint");
  const host = typeof endpoint === "string" ? /^https:\/\/([^./]+)\.blob\./i.exec(endpoint)?.[1] : undefined;
  return accounts.find(
    (a) =>
      references(audit, a, "storageEndpoint") ||
      (host !== undefined &&
        [valueAt(a.props, "name"), valueAt(a.props, "accountName")].some((n) => sameText(n, host))),
  );
}

export const sqlAuditArchiveComplete = stackPolicy(
  {
    name: "azure-native-sql-extendedserverblobauditingpolicy-require-archived-exclusions",
    description:
      "A server audit that leaves records out with a predicate is complemented by an enabled database audit on one of the server's databases that keeps exactly those records (the complementary predicate, the same action groups) in a storage account under a time-based retention policy that allows protected appends and lasts at least as long as that audit keeps them.",
    severity: "high",
    pci: ["10.2.1", "10.3.2", "10.5.1"],
    gdpr: ["30"],
    soc2: ["CC7.2"],
    service: "sql",
    remediationSteps:
      "Write the server predicate as `NOT a OR NOT b` (e.g. `database_principal_name <> 'x' OR NOT statement LIKE '%az_func%'`) and add an `sql.ExtendedDatabaseBlobAuditingPolicy` on the database with `predicateExpression` `a AND b`, the same `auditActionsAndGroups`, `state: \"Enabled\"` and `storageEndpoint` on an account with a `storage.BlobContainerImmutabilityPolicy` (`allowProtectedAppendWrites: true`, `immutabilityPeriodSinceCreationInDays` at least its `retentionDays`); or remove the predicate.",
    url: "https://learn.microsoft.com/azure/azure-sql/database/auditing-server-level-database-level",
  },
  (args, report) => {
    const filtering = ofType(args.resources, SERVER_AUDIT).filter((a) => predicateOf(a) !== undefined);
    if (filtering.length === 0) args.notApplicable("no server audit leaves records out (no predicateExpression)");
    const servers = ofType(args.resources, SQL_SERVER);
    const databases = ofType(args.resources, SQL_DATABASE);
    const dbAudits = ofType(args.resources, DATABASE_AUDIT);
    const accounts = ofType(args.resources, ACCOUNT);
    const retentionPolicies = ofType(args.resources, IMMUTABILITY);
    for (const audit of filtering) {
      const text = predicateOf(audit) as string;
      const leftOut = parsePredicate(text);
      if (!leftOut || leftOut.connective === "AND" || !leftOut.factors.every((f) => f.negated)) {
        report(
          `${who(audit)} leaves out records with predicateExpression ${show(text)}, which no database audit can be checked to keep: write it as NOT a OR NOT b (each factor negated, joined by OR) and keep a AND b in a database audit to immutable storage, or remove the predicate.`,
          audit.urn,
        );
        continue;
      }
      const server = servers.find((s) => refersTo(audit, s, SERVER_CHILD));
      const ownDatabases = server ? databases.filter((d) => refersTo(d, server, SERVER_CHILD)) : [];
      const complements = dbAudits.filter((d) => {
        const kept = predicateOf(d);
        const parsed: ParsedPredicate | undefined = kept === undefined ? undefined : parsePredicate(kept);
        return (
          parsed !== undefined &&
          isComplement(leftOut, parsed) &&
          ownDatabases.some((db) => refersTo(d, db, DATABASE_CHILD))
        );
      });
      if (complements.length === 0) {
        report(
          `${who(audit)} leaves out the records its predicateExpression ${show(text)} excludes, and no database audit on ${server ? who(server) : "its server"} keeps them: those records are audited nowhere. Add an ExtendedDatabaseBlobAuditingPolicy on the database with the complementary predicate (${leftOut.factors.length} factor(s), not negated, joined by AND) to immutable storage.`,
          audit.urn,
        );
        continue;
      }
      const serverGroups = stringsAt(audit.props, "auditActionsAndGroups");
      const problems = complements.map((d) => {
        const why: string[] = [];
        if (valueAt(d.props, "state") === "Disabled") why.push('its state is "Disabled"');
        const missing = serverGroups.filter((g) => !stringsAt(d.props, "auditActionsAndGroups").includes(g));
        if (missing.length > 0) why.push(`it does not audit ${missing.join(", ")}, which the server audit does`);
        if (presence(d.props, "storageEndpoint") === "absent") {
          why.push("it writes to no storage account (storageEndpoint)");
          return { d, why };
        }
        const account = accountOf(d, accounts);
        if (!account) {
          why.push("its storage account is not in the stack, so its immutability cannot be checked");
          return { d, why };
        }
        const days = Number(valueAt(d.props, "retentionDays") ?? 0);
        const worm = retentionPolicies.filter((p) => under(p, account));
        const lasting = worm.filter(
          (p) =>
            (valueAt(p.props, "allowProtectedAppendWrites") === true ||
              valueAt(p.props, "allowProtectedAppendWritesAll") === true) &&
            Number(valueAt(p.props, "immutabilityPeriodSinceCreationInDays") ?? 0) >= Math.max(days, 1),
        );
        if (lasting.length === 0)
          why.push(
            worm.length === 0
              ? `${who(account)} has no time-based retention policy (BlobContainerImmutabilityPolicy): its records could be changed or deleted`
              : `${who(account)}'s retention policy does not allow protected appends or lasts less than the audit's retentionDays ${days}`,
          );
        return { d, why };
      });
      if (problems.some((p) => p.why.length === 0)) continue;
      report(
        `${who(audit)} leaves out records that ${problems.map((p) => `${who(p.d)} keeps, but ${p.why.join("; ")}`).join("; and ")}: fix the database audit, or remove the server's predicate.`,
        audit.urn,
      );
    }
  },
);

export const sqlAuditArchivePolicies: Policies = [sqlAuditArchiveComplete];
