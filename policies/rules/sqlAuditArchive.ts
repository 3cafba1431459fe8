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
import {
  DATABASE_CHILD,
  SERVER_CHILD,
  SQL_DATABASE,
  SQL_DATABASE_AUDITING,
  SQL_EXTENDED_AUDITING,
  SQL_SERVER,
} from "./sql";
import { ACCOUNT } from "./storage";

const IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy";
/** The audit type this rule pairs with a server audit (its tests import it from here). */
export const DATABASE_AUDIT = SQL_DATABASE_AUDITING;
const SERVER_AUDIT = SQL_EXTENDED_AUDITING;

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
export function underAccount(child: PolicyResource, parent: PolicyResource): boolean {
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

/** Azure SQL writes its audit blobs to this container (audit-log-format). */
const AUDIT_CONTAINER = "sqldbauditlogs";
/** Retention (days) a policy that keeps records for ever (`retentionDays` 0) needs at least: PCI DSS 10.5.1's year. */
const FOREVER_MIN_DAYS = 365;

/**
 * Whether a container policy is on the audit container: by its `containerName` (a path input, so not an output of a
 * deployed stack) or its id. A first preview knows neither: the policy counts then, and the deployed view, which the
 * offline gate and `pulumi up` evaluate too, decides by the id.
 */
function onAuditContainer(p: PolicyResource): boolean {
  const name = valueAt(p.props, "containerName");
  if (typeof name === "string") return name === AUDIT_CONTAINER;
  const id = safeGet(p.props, "id");
  return typeof id !== "string" || id === "" || id.includes(`/containers/${AUDIT_CONTAINER}/`);
}

/** The database a predicate names (`database_name = 'x'`), if it does. */
const namedDatabase = (p: ParsedPredicate): string | undefined =>
  p.factors.find((f) => f.field === "database_name" && f.op === "=")?.value;

/** The storage account a database audit writes to: wired through `storageEndpoint`, or named by its host. */
export function auditAccountOf(audit: PolicyResource, accounts: readonly PolicyResource[]): PolicyResource | undefined {
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
      "A server audit that leaves records out with a predicate is complemented, on every database of the server it covers (all of them, or the one its predicate names with database_name), by an enabled database audit that keeps exactly those records (the complementary predicate, the same action groups) in a storage account whose sqldbauditlogs container has a time-based retention policy that allows protected appends and lasts at least as long as that audit keeps them (a year when it keeps them for ever).",
    severity: "high",
    pci: ["10.2.1", "10.3.2", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)"],
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
      // The server audit covers every database of the server: the records it leaves out must be kept on each, unless
      // the predicate names one database (database_name), which then alone needs the complement.
      const named = namedDatabase(leftOut);
      const ownDatabases = (server ? databases.filter((d) => refersTo(d, server, SERVER_CHILD)) : []).filter((db) => {
        if (named === undefined) return true;
        const names = [valueAt(db.props, "name"), valueAt(db.props, "databaseName")];
        // A name not known yet (a first preview) may be the named one: it needs the complement too.
        return names.some((n) => sameText(n, named)) || !names.some((n) => typeof n === "string");
      });
      const complementOn = (db: PolicyResource) =>
        dbAudits.filter((d) => {
          const kept = predicateOf(d);
          const parsed: ParsedPredicate | undefined = kept === undefined ? undefined : parsePredicate(kept);
          return parsed !== undefined && isComplement(leftOut, parsed) && refersTo(d, db, DATABASE_CHILD);
        });
      const uncovered = ownDatabases.filter((db) => complementOn(db).length === 0);
      const complements = ownDatabases.flatMap(complementOn);
      if (ownDatabases.length === 0 || uncovered.length > 0) {
        const where =
          uncovered.length > 0
            ? uncovered.map((db) => who(db)).join(", ")
            : server
              ? `a database of ${who(server)}`
              : "its server's databases";
        report(
          `${who(audit)} leaves out the records its predicateExpression ${show(text)} excludes, and no database audit on ${where} keeps them: those records are audited nowhere. Add an ExtendedDatabaseBlobAuditingPolicy on ${named === undefined ? "every database of the server (or name one database in the predicate with database_name)" : "the database"} with the complementary predicate (${leftOut.factors.length} factor(s), not negated, joined by AND) to immutable storage.`,
          audit.urn,
        );
        continue;
      }
      const serverGroups = stringsAt(audit.props, "auditActionsAndGroups");
      const problems = complements.map((d) => {
        const why: string[] = [];
        if (sameText(valueAt(d.props, "state"), "Disabled")) why.push('its state is "Disabled"');
        const missing = serverGroups.filter((g) => !stringsAt(d.props, "auditActionsAndGroups").includes(g));
        if (missing.length > 0) why.push(`it does not audit ${missing.join(", ")}, which the server audit does`);
        if (presence(d.props, "storageEndpoint") === "absent") {
          why.push("it writes to no storage account (storageEndpoint)");
          return { d, why };
        }
        const account = auditAccountOf(d, accounts);
        if (!account) {
          why.push("its storage account is not in the stack, so its immutability cannot be checked");
          return { d, why };
        }
        const days = Number(valueAt(d.props, "retentionDays") ?? 0);
        // Records kept for ever (0) are protected at least for PCI DSS's year.
        const needed = days > 0 ? days : FOREVER_MIN_DAYS;
        const worm = retentionPolicies.filter((p) => underAccount(p, account) && onAuditContainer(p));
        const lasting = worm.filter(
          (p) =>
            (valueAt(p.props, "allowProtectedAppendWrites") === true ||
              valueAt(p.props, "allowProtectedAppendWritesAll") === true) &&
            Number(valueAt(p.props, "immutabilityPeriodSinceCreationInDays") ?? 0) >= needed,
        );
        if (lasting.length === 0)
          why.push(
            worm.length === 0
              ? `${who(account)} has no time-based retention policy (BlobContainerImmutabilityPolicy) on ${AUDIT_CONTAINER}: its records could be changed or deleted`
              : `${who(account)}'s retention policy on ${AUDIT_CONTAINER} does not allow protected appends or lasts less than ${needed} days (the audit's retentionDays ${days}${days === 0 ? ", for ever" : ""})`,
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
