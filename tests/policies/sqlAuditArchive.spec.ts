import { strict as assert } from "node:assert";
import { isComplement, parsePredicate } from "../../policies/lib/auditPredicate";
import { sqlAuditingRetention } from "../../policies/rules/sql";
import { DATABASE_AUDIT, sqlAuditArchiveComplete } from "../../policies/rules/sqlAuditArchive";
import { resourceRecord, type ResourceRecord } from "../../tools/lib/policyRunner";
import { triggerAuditPredicates } from "../../components/oltp";
import * as f from "./fixtures/sql";
import { expectFail, expectNotApplicable, expectPass, mutate, otherResource } from "./helpers";

const STACK = "prod";
const USER = "id-pay-prod-weu-fraud";
const predicates = triggerAuditPredicates(USER, f.databaseName(STACK));
const ACCOUNT_NAME = "stpayprodsqlaudit1a2b3c";
const GROUPS = ["SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP", "BATCH_COMPLETED_GROUP"];

const server = f.sqlServer(STACK);
const database = f.sqlDatabase(STACK);
const serverAudit = () =>
  mutate(mutate(f.sqlAuditing(STACK), "predicateExpression", predicates.server), "auditActionsAndGroups", GROUPS);
const account = () =>
  resourceRecord(
    "azure-native:storage:StorageAccount",
    "oltp-audit-archive-st",
    { resourceGroupName: f.rgName(STACK), accountName: ACCOUNT_NAME, accessTier: "Cool" },
    { stack: STACK },
  );
const dbAudit = () =>
  resourceRecord(
    DATABASE_AUDIT,
    "oltp-db-audit-archive",
    {
      resourceGroupName: f.rgName(STACK),
      serverName: f.serverName(STACK),
      databaseName: f.databaseName(STACK),
      blobAuditingPolicyName: "default",
      state: "Enabled",
      storageEndpoint: `https://${ACCOUNT_NAME}.blob.core.windows.net/`,
      isAzureMonitorTargetEnabled: false,
      retentionDays: 365,
      auditActionsAndGroups: GROUPS,
      predicateExpression: predicates.database,
    },
    { stack: STACK },
  );
const worm = (containerName = "sqldbauditlogs") =>
  resourceRecord(
    "azure-native:storage:BlobContainerImmutabilityPolicy",
    "oltp-audit-archive-worm",
    {
      resourceGroupName: f.rgName(STACK),
      accountName: ACCOUNT_NAME,
      containerName,
      immutabilityPolicyName: "default",
      immutabilityPeriodSinceCreationInDays: 365,
      allowProtectedAppendWrites: true,
    },
    { stack: STACK },
  );
const complete = (): ResourceRecord[] => [server, database, serverAudit(), account(), dbAudit(), worm()];
const without = (rs: ResourceRecord[], name: string) => rs.filter((r) => r.name !== name);
const replace = (rs: ResourceRecord[], r: ResourceRecord) => [...without(rs, r.name), r];

describe("audit predicates (policies/lib/auditPredicate.ts)", () => {
  it("reads the archive's two predicates into the same comparisons, negated on the server's side", () => {
    const server = parsePredicate(predicates.server);
    const kept = parsePredicate(predicates.database);
    assert.deepEqual(server, {
      connective: "OR",
      factors: [
        { field: "database_principal_name", op: "=", value: USER, negated: true },
        { field: "statement", op: "LIKE", value: "%az_func%", negated: true },
        { field: "database_name", op: "=", value: f.databaseName(STACK), negated: true },
      ],
    });
    assert.deepEqual(
      kept?.factors.map((x) => x.negated),
      [false, false, false],
    );
    assert.ok(server && kept && isComplement(server, kept));
  });
  it("is not the complement when a comparison differs, a connective is swapped or a factor is missing", () => {
    const server = parsePredicate(predicates.server)!;
    for (const kept of [
      predicates.database.replace(USER, "someone-else"),
      predicates.database.replace(/ AND /g, " OR "),
      `database_principal_name = '${USER}' AND statement LIKE '%az_func%'`,
      `${predicates.database} AND client_ip = '10.0.0.1'`,
      `NOT ${predicates.database}`,
    ])
      assert.equal(isComplement(server, parsePredicate(kept)!), false, kept);
  });
  it("reads !=, NOT LIKE and quoted quotes, keeps AND/OR inside strings, refuses mixed connectives and parentheses", () => {
    assert.deepEqual(parsePredicate("statement != 'a OR b'")?.factors, [
      { field: "statement", op: "=", value: "a OR b", negated: true },
    ]);
    assert.deepEqual(parsePredicate("statement NOT LIKE 'it''s'")?.factors, [
      { field: "statement", op: "LIKE", value: "it's", negated: true },
    ]);
    assert.equal(parsePredicate("a = '1' AND b = '2' OR c = '3'"), undefined);
    assert.equal(parsePredicate("(a = '1')"), undefined);
    assert.equal(parsePredicate("object_id = 5"), undefined, "numbers are not modelled");
  });
});

describe(sqlAuditArchiveComplete.name, () => {
  it("is not applicable to a stack whose server audits leave nothing out (never passed on nothing)", () =>
    expectNotApplicable(sqlAuditArchiveComplete, [server, f.sqlAuditing(STACK), otherResource()]));
  it("passes a server audit whose left-out records a database audit keeps in an immutable account", () =>
    expectPass(sqlAuditArchiveComplete, complete()));
  it("passes the protected-appends-for-all variant of the retention policy", () =>
    expectPass(
      sqlAuditArchiveComplete,
      replace(
        complete(),
        mutate(mutate(worm(), "allowProtectedAppendWrites", undefined), "allowProtectedAppendWritesAll", true),
      ),
    ));
  it("fails a predicate that is not a negated OR, naming it", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(serverAudit(), "predicateExpression", "statement <> 'select 1' AND client_ip = 'x'")),
      /leaves out records with predicateExpression "statement <> 'select 1' AND client_ip = 'x'", which no database audit can be checked to keep/,
    ));
  it("fails when no database audit keeps the left-out records: they are audited nowhere", () =>
    expectFail(
      sqlAuditArchiveComplete,
      without(complete(), "oltp-db-audit-archive"),
      /no database audit on sqldb-pay-prod-weu \(azure-native:sql:Database\) keeps them: those records are audited nowhere/,
    ));
  it("fails a database audit of another server's database", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "serverName", "sql-pay-prod-neu")),
      /audited nowhere/,
    ));
  it("fails a database audit whose predicate keeps something else", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "predicateExpression", `database_principal_name = '${USER}'`)),
      /audited nowhere/,
    ));
  it("fails a disabled database audit", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "state", "Disabled")),
      /its state is "Disabled"/,
    ));
  it("fails a database audit without the server audit's action groups", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "auditActionsAndGroups", ["BATCH_COMPLETED_GROUP"])),
      /it does not audit SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, which the server audit does/,
    ));
  it("fails a database audit to no storage, or to an account outside the stack", async () => {
    await expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "storageEndpoint", undefined)),
      /writes to no storage account/,
    );
    await expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(dbAudit(), "storageEndpoint", "https://elsewhere.blob.core.windows.net/")),
      /its storage account is not in the stack/,
    );
  });
  it("fails a retention policy on another container than sqldbauditlogs (Azure SQL writes there)", () =>
    expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), worm("not-the-audit-container")),
      /has no time-based retention policy \(BlobContainerImmutabilityPolicy\) on sqldbauditlogs/,
    ));
  it("asks a year of retention policy of a database audit that keeps its records for ever (retentionDays 0)", async () => {
    const forever = mutate(dbAudit(), "retentionDays", 0);
    await expectFail(
      sqlAuditArchiveComplete,
      replace(replace(complete(), forever), mutate(worm(), "immutabilityPeriodSinceCreationInDays", 1)),
      /lasts less than 365 days \(the audit's retentionDays 0, for ever\)/,
    );
    await expectPass(sqlAuditArchiveComplete, replace(complete(), forever));
  });
  it("asks the complement on every database of the server when the predicate names none; with database_name, of that one", async () => {
    const other = mutate(mutate(database, "databaseName", "reports"), "name", "reports");
    const second = { ...other, name: "sqldb-reports", urn: other.urn.replace(/::[^:]+$/, "::sqldb-reports") };
    const unnamed = (p: string) => p.replace(/ (OR|AND) database_name [<>=]+ '[^']*'$/, "");
    await expectFail(
      sqlAuditArchiveComplete,
      [
        ...replace(
          replace(complete(), mutate(serverAudit(), "predicateExpression", unnamed(predicates.server))),
          mutate(dbAudit(), "predicateExpression", unnamed(predicates.database)),
        ),
        second,
      ],
      /no database audit on sqldb-reports \(azure-native:sql:Database\) keeps them: those records are audited nowhere/,
    );
    await expectPass(sqlAuditArchiveComplete, [...complete(), second]);
  });
  it("fails an archive account without a time-based retention policy: its records could be changed", () =>
    expectFail(
      sqlAuditArchiveComplete,
      without(complete(), "oltp-audit-archive-worm"),
      /oltp-audit-archive-st \(azure-native:storage:StorageAccount\) has no time-based retention policy \(BlobContainerImmutabilityPolicy\) on sqldbauditlogs/,
    ));
  it("fails a retention policy shorter than the audit's retention, or without protected appends", async () => {
    await expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(worm(), "immutabilityPeriodSinceCreationInDays", 90)),
      /retention policy on sqldbauditlogs does not allow protected appends or lasts less than 365 days \(the audit's retentionDays 365\)/,
    );
    await expectFail(
      sqlAuditArchiveComplete,
      replace(complete(), mutate(worm(), "allowProtectedAppendWrites", false)),
      /does not allow protected appends/,
    );
  });
});

describe(`${sqlAuditingRetention.name} on a database audit to storage`, () => {
  it("passes the archive's database audit kept 365 days in prod", () => expectPass(sqlAuditingRetention, [dbAudit()]));
  it("fails the archive's database audit kept 90 days in prod", () =>
    expectFail(
      sqlAuditingRetention,
      [mutate(dbAudit(), "retentionDays", 90)],
      /oltp-db-audit-archive .* keeps storage audit records for 90 days: set retentionDays to at least 365/,
    ));
});
