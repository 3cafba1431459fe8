/**
 * docs/cost.md, "SQL audit of the trigger's polls": what the server audit of the fraud scorer's polls costs each
 * stack, and its levers (the polling interval, fewer always-ready instances, the audit archive) with the scorer's
 * capacity under each.
 */
import type { ResourceRecord } from "../policyRunner";
import { estimate, type Estimate } from "../cost/estimate";
import { SQL_AUDIT_RECORD_OVERHEAD_BYTES } from "../../../lib/usage";
import { sqlTriggerCapacity, withSqlTriggerAlwaysReady } from "../cost/capacity";
import { isSqlTriggerSettings, type OffHoursSchedule } from "../cost/model";
import { MIN_INTERACTIVE_RETENTION_DAYS } from "../../../lib/config/logRetention";
import { usd, StackCost } from "./seed";
import { Edit, alwaysReadyOf, pollingInterval } from "./scenarios";
import { ingestedGb, sign, type Levers } from "./costLevers";
import { sdkTypeOf } from "../sdkType";

/**
 * Whether a line is the SQL audit of the Azure SQL trigger's polls: priced on the server's audit policy (the
 * workspace) and, with the audit archive, on the database's (the archive's storage).
 */
export const isTriggerAudit = (l: { type: string }) =>
  l.type.endsWith("sql:ExtendedServerBlobAuditingPolicy") || l.type.endsWith("sql:ExtendedDatabaseBlobAuditingPolicy");

/** The SQL audit of the trigger's polls in both stacks' estimates: prod's list and committed, dev's list. */
export function auditCost(dev: StackCost, prod: StackCost) {
  // The SQL audit of the trigger's polls and its levers (docs: "SQL audit of the trigger's polls").
  const sumOf = (e: Estimate, k: "list" | "committed") =>
    e.lines.filter(isTriggerAudit).reduce((sum, l) => sum + l[k], 0);
  const auditProd = { list: sumOf(prod.estimate, "list"), committed: sumOf(prod.estimate, "committed") };
  const auditDev = sumOf(dev.estimate, "list");
  return { auditProd, auditDev };
}

/**
 * The section, from both stacks (and prod's with the audit archive) and what costDoc has computed of them: the totals
 * of the stack as deployed (`base`), the levers, prod's always-ready instances, dev's off-hours schedule, the Flex
 * baseline of an instance a month, and the audit's cost (auditCost).
 */
export function auditSection(
  dev: StackCost,
  prod: StackCost,
  prodArchived: StackCost,
  page: {
    readonly base: Estimate["total"];
    readonly levers: Levers;
    readonly ready: ReturnType<typeof alwaysReadyOf>;
    readonly devSchedule: OffHoursSchedule | undefined;
    readonly perInstance: number;
  } & ReturnType<typeof auditCost>,
): string {
  const { base, ready, devSchedule, perInstance, auditProd, auditDev } = page;
  const { tier, tierName, deployedLevel, ltr, ltrTables } = page.levers;
  const auditGb = (e: Estimate) => ingestedGb(e.lines.filter(isTriggerAudit));
  const scorerSettings = prod.resources.find(
    (r) => sdkTypeOf(r) === "azure-native:web:WebAppApplicationSettings" && isSqlTriggerSettings(r),
  );
  const scorerProps = (scorerSettings?.inputs.properties ?? {}) as Record<string, unknown>;
  const batch = Number(scorerProps.Sql_Trigger_MaxBatchSize ?? 100);
  const pollMs = Number(scorerProps.Sql_Trigger_PollingIntervalMs ?? 1000);
  const scorerCapacity = (instances: number, ms: number) =>
    sqlTriggerCapacity(
      instances,
      batch,
      ms / 1000,
      prod.load.scoringBatchSeconds,
      prod.load.sqlTriggerLockSecondsPerBatch,
    );
  const today28 = scorerCapacity(ready.scorer, pollMs);
  // As many pollers as the serial bound lets work: more add audit records, not changes/s.
  const useful = Math.ceil(today28.serial / scorerCapacity(1, pollMs).parallel);
  const edited = (e: StackCost, edit: Edit) =>
    estimate(
      e.resources.map(edit).filter((r): r is ResourceRecord => r !== undefined),
      { stack: e.estimate.stack, usage: e.usage },
    );
  const atInterval = (e: StackCost, ms: number) => edited(e, pollingInterval(ms));
  const atPollers = (e: StackCost, n: number) =>
    estimate(withSqlTriggerAlwaysReady(e.resources, n), { stack: e.estimate.stack, usage: e.usage });
  const archivedPredicate =
    prodArchived.resources.find(
      (r) => sdkTypeOf(r) === "azure-native:sql:ExtendedServerBlobAuditingPolicy" && r.inputs.predicateExpression,
    )?.inputs.predicateExpression ?? "(none)";
  const changes = (n: number) => `${Math.round(n).toLocaleString("en-US")} changes/s`;
  const A = (name: string, d: Estimate, p: Estimate, capacityText: string, why: string) =>
    `| ${name} | ${usd(d.total.list)} | ${sign(p.total.list - base.list)} | ${sign(p.total.committed - base.committed)} | ${usd(p.total.committed)} | ${capacityText} | ${why} |`;
  const slow = scorerCapacity(ready.scorer, 1000);
  const twice = scorerCapacity(ready.scorer, 2 * pollMs);
  const fewer = scorerCapacity(useful, pollMs);
  const auditLevers = [
    A(
      `Polling interval ${(2 * pollMs).toLocaleString("en-US")} ms instead of ${pollMs.toLocaleString("en-US")} ms`,
      dev.estimate,
      atInterval(prod, 2 * pollMs),
      `${changes(twice.capacity)} (parallel ${changes(twice.parallel)}, serial ${changes(twice.serial)})`,
      `scoring latency: a change waits up to ${(2 * pollMs).toLocaleString("en-US")} ms for the next poll instead of ${pollMs.toLocaleString("en-US")} (${(pollMs / 2).toLocaleString("en-US")} ms more on average), which the flow's 200 ms P99 budget end to end (the API's 20-40 ms, scoring up to 80 ms) cannot absorb at the tail; dev already polls every second`,
    ),
    A(
      "Polling interval 1,000 ms (the trigger's default) instead of " + pollMs.toLocaleString("en-US") + " ms",
      atInterval(dev, 1000),
      atInterval(prod, 1000),
      `${changes(slow.capacity)} (parallel ${changes(slow.parallel)}, serial ${changes(slow.serial)})`,
      `scoring latency: a change waits up to a second for the next poll, against the flow's 200 ms P99 budget (\`ingestion.functions.fraudScoring.sqlTriggerPollingMs\` in Pulumi.prod.yaml); and each instance takes ${batch} changes per ${prod.load.scoringBatchSeconds + 1} s (batch and poll), so ${ready.scorer} carry ${changes(slow.parallel)}`,
    ),
    A(
      `${useful} always-ready scorer instances instead of ${ready.scorer}`,
      dev.estimate,
      atPollers(prod, useful),
      `${changes(fewer.capacity)} (parallel ${changes(fewer.parallel)}, serial ${changes(fewer.serial)})`,
      `the serial bound of the app lock (load.sqlTriggerLockSecondsPerBatch, unmeasured) lets no more than ${useful} instances' batches work; until the load test measures the lock, the instances beyond are headroom only if the lock is faster (dev keeps its one)`,
    ),
    A(
      "Audit archive for the trigger's batches (`sql.archiveTriggerAudit: true`)",
      dev.estimate,
      prodArchived.estimate,
      "unchanged",
      `every record is still audited: the server audit leaves the scorer's trigger batches out (\`${archivedPredicate}\`) and a database audit with the complementary predicate writes exactly those to an immutable, cool, zone-redundant storage account for the audit's retention (steady state; the archive's append operations are not priced and its record sizes are taken equal to the workspace's, both unmeasured; components/oltp/auditArchive.ts; the pack's \`azure-native-sql-extendedserverblobauditingpolicy-require-archived-exclusions\` fails a predicate no such audit complements). The workspace keeps each poll's begin and commit. Those batches (the scorer's reads of changed \`dbo.Payment\` rows and its lease bookkeeping: tokens and amounts, never a PAN) then reach no Sentinel rule or log alert, and anyone holding the scorer's identity could move a statement there by naming \`az_func\` in it: PCI DSS 10.4.1 (daily review of the CDE's logs) makes it the PCI assessor's call${prod.resources.some((r) => sdkTypeOf(r) === "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy") ? " (prod has it on)" : ", so prod leaves it off (dev has it on, to prove the path first: docs/operations.md)"}`,
    ),
  ];
  return `## SQL audit of the trigger's polls

The OLTP server audits \`BATCH_COMPLETED_GROUP\` to the central workspace (PCI DSS 10.2.1: every statement run,
components/oltp/settings.ts), and Microsoft's audit action groups page says it "audits the whole batch or stored
procedure text" (learn.microsoft.com/sql/relational-databases/security/auditing/sql-server-audit-action-groups-and-actions):
one SQLSecurityAuditEvents record in AzureDiagnostics per batch. The fraud scorer's Azure SQL trigger polls every
${pollMs.toLocaleString("en-US")} ms (\`Sql_Trigger_PollingIntervalMs\`) on each always-ready instance (prod ${ready.scorer}, dev ${alwaysReadyOf(dev.resources).scorer}
while dev's apps run, ${devSchedule?.label ?? "around the clock"}), and each idle poll is one transaction of three batches
(Azure/azure-functions-sql-extension SqlTableChangeMonitor.cs, GetTableChangesAsync: the global state update, the
change query and the lease count, each starting with the app lock statements). The estimator prices that stream on
the server's audit policy from the stack's own resources: always-ready instances × polls a second × audit bytes per
poll (\`usage.sqlTriggerAuditBytesPerPoll\`, ${prod.usage.sqlTriggerAuditBytesPerPoll.toLocaleString("en-US")}: the three batches' statement text, 1,253 + 1,865 + 1,700 bytes with this
stack's names filled in, plus ${SQL_AUDIT_RECORD_OVERHEAD_BYTES.toLocaleString("en-US")} bytes of audit and resource fields per record, for the three batches and for the
begin and commit of the poll's transaction, which BATCH_COMPLETED_GROUP records as transaction management operations), for the hours the app runs, as Log
Analytics ingestion, Sentinel analysis where the workspace has it, and retention beyond the included days. prod:
${Math.round(auditGb(prod.estimate)).toLocaleString("en-US")} GB a month (${Math.round(auditGb(prod.estimate) / (730 / 24))} GB a day, on top of \`usage.logIngestionGbPerDay\`'s ${prod.usage.logIngestionGbPerDay}), ${usd(auditProd.list)} list and ${usd(auditProd.committed)} committed;
dev: ${Math.round(auditGb(dev.estimate))} GB a month, ${usd(auditDev)}${dev.resources.some((r) => sdkTypeOf(r) === "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy") ? ` (dev sends the batches to the audit archive, \`sql.archiveTriggerAudit\`: the workspace keeps each poll's begin and commit, ${dev.usage.sqlTriggerAuditTransactionBytesPerPoll.toLocaleString("en-US")} bytes, \`usage.sqlTriggerAuditTransactionBytesPerPoll\`)` : ""}.

Neither figure is measured. The poll rate is the free-running one (every instance polls every interval): each loop
also spends its transaction's time, and every transaction of every instance takes the database-wide exclusive app
lock \`_az_func_Trigger\` ("every transaction is processed serially by use of this lock": the maintainer in
Azure/azure-functions-sql-extension#984), so the real rate is lower by an amount no stored source gives: an upper
bound. The bytes per poll are the statement text of the extension's templates and an estimate of the record's other
fields. Replace both with a measured dev day, with dev's archive off for that day (\`sql.archiveTriggerAudit: false\`,
once its first deploy has proven the path), so that the workspace has every record: \`AzureDiagnostics | where
Category == "SQLSecurityAuditEvents" and statement_s has "az_func" | summarize records = count(), bytes =
sum(_BilledSize)\` over the hours the scorer ran, divided by its polls, for the batches; the begin and commit records of
the scorer's identity in the same hours for \`usage.sqlTriggerAuditTransactionBytesPerPoll\` (0 if there are none).
With the archive on, the batches are counted from the archive instead (\`sys.fn_get_audit_file\`, docs/operations.md).
${
  tier.level === deployedLevel
    ? `The workspace is on ${tierName}, the cheapest for this volume: every GB it ingests, these included, is billed at the tier's rate.`
    : `At this volume a commitment tier of the workspace cuts the price of every GB it ingests, these included: ${tierName}
is a lever [below](#levers-not-applied-prod-as-deployed-computed-by-the-estimator) (${sign(tier.e.total.committed - base.committed)} a month).`
}${
    ltr
      ? `
Their retention beyond Sentinel's 90 free days is another: ${ltrTables.join(" and ")} (where the server audit lands) kept
${MIN_INTERACTIVE_RETENTION_DAYS} days queryable and the rest long-term (\`logLongTermRetention\`, ${sign(ltr.total.committed - base.committed)} a month).`
      : ""
  }

| Lever | dev list | prod list/month | prod committed/month | prod committed total | Scorer capacity (target ${changes(prod.load.transactionsPerSecond)}) | Trade-off |
|---|---:|---:|---:|---:|---|---|
| As deployed | ${usd(dev.estimate.total.list)} | $0 | $0 | ${usd(base.committed)} | ${changes(today28.capacity)} (parallel ${changes(today28.parallel)}, serial ${changes(today28.serial)}) | |
${auditLevers.join("\n")}

Each always-ready scorer instance adds ${usd(auditProd.committed / Math.max(1, ready.scorer))} a month of audit in prod, besides its
${usd(perInstance)} baseline.`;
}
