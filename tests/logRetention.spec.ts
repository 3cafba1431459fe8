/**
 * `logLongTermRetention` (lib/config/logRetention.ts, components/operations/retention.ts): the listed tables keep
 * `interactiveDays` queryable and the rest of `logRetentionDays` in long-term retention; the config's checks, the
 * tables it takes against the operations tier's catalogue, what the estimator prices, and the prod preview with it.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { TABLES } from "../components/operations/tables";
import { parseConfig } from "../lib/config";
import { LONG_TERM_RETENTION_TABLES, MIN_INTERACTIVE_RETENTION_DAYS } from "../lib/config/logRetention";
import { DEFAULT_USAGE } from "../lib/usage";
import type { RuleContext } from "../tools/lib/cost/model";
import { price } from "../tools/lib/cost/prices";
import { tableRetentionDays, workspaceRecordLines } from "../tools/lib/cost/rules/monitoring";
import { costOfStack } from "../tools/lib/cost/stack";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { previewStack, ROOT } from "../tools/lib/preview";
import { rawOf as rawOfStack, rejectsConfig } from "./helpers/config";
import { previewOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const AN = "azure-native";
const TABLE_RULE = "azure-native-operationalinsights-table-configure-retention";

/** A hand-made resource record (its outputs empty, as before the resource exists). */
const res = (type: string, inputs: Record<string, unknown>, name: string): ResourceRecord =>
  resourceRecord(type, name, inputs, { stack: "test", outputs: {} });
function contextOf(resources: readonly ResourceRecord[]): RuleContext {
  return { usage: DEFAULT_USAGE, resources, ofType: (t) => resources.filter((r) => r.type === t) };
}
const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 0.015, `${msg ?? ""} ${a} ≉ ${b}`);

describe("logLongTermRetention", () => {
  describe("config", () => {
    const prod = (l: unknown, extra: Record<string, unknown> = {}) => ({
      ...rawOfStack("prod"),
      ...extra,
      logLongTermRetention: l,
    });
    it("is off unless set, and takes the interactive days and the tables", () => {
      assert.equal(parseConfig(rawOfStack("prod"), "prod").logLongTermRetention, undefined);
      assert.deepEqual(
        parseConfig(prod({ interactiveDays: 90, tables: ["AzureDiagnostics", "AZKVAuditLogs"] }), "prod")
          .logLongTermRetention,
        { interactiveDays: 90, tables: ["AzureDiagnostics", "AZKVAuditLogs"] },
      );
    });
    it("refuses fewer than 90 interactive days (PCI DSS 10.5.1's three months) and a total that keeps nothing long-term", () => {
      assert.equal(MIN_INTERACTIVE_RETENTION_DAYS, 90);
      rejectsConfig(
        prod({ interactiveDays: 30, tables: ["AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(interactiveDays\): got 30; must be between 90 and 729 days \(at least 90: PCI DSS 10\.5\.1's three months immediately available; less than logRetentionDays\)/,
      );
      rejectsConfig(
        prod({ interactiveDays: 365, tables: ["AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(interactiveDays\): got 365; must be less than logRetentionDays \(365\), the tables' total retention: with 365 nothing is kept in long-term retention \(leave logLongTermRetention out\)/,
      );
    });
    it("refuses an unknown table naming the tables it takes, an empty list, a table listed twice, the firewall's table without a firewall", () => {
      rejectsConfig(
        prod({ interactiveDays: 90, tables: ["SigninLogs"] }),
        "prod",
        new RegExp(
          `logLongTermRetention \\(tables\\.0\\): got "SigninLogs"; must be one of ${LONG_TERM_RETENTION_TABLES.join(", ")}`,
        ),
      );
      rejectsConfig(
        prod({ interactiveDays: 90, tables: [] }),
        "prod",
        /logLongTermRetention \(tables\): .*must list at least one table \(AzureDiagnostics, .*\), or leave logLongTermRetention out/,
      );
      rejectsConfig(
        prod({ interactiveDays: 90, tables: ["AzureDiagnostics", "AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(tables\.1\): .*must be unique \('AzureDiagnostics' is listed twice\)/,
      );
      rejectsConfig(
        prod({ interactiveDays: 90, tables: ["AZFWThreatIntel"] }, { enableFirewall: false }),
        "prod",
        /logLongTermRetention \(tables\.0\): .*AZFWThreatIntel is filled by Azure Firewall, which this stack does not deploy \(enableFirewall false\)/,
      );
    });
    it("takes exactly the catalogue's tables that the stack's own diagnostic settings, Application Insights and metrics fill", () => {
      const own = Object.entries(TABLES)
        .filter(([, spec]) => spec.sources.every((s) => ["diagnostics", "appInsights", "metrics"].includes(s.kind)))
        .map(([name]) => name)
        .sort();
      assert.deepEqual([...LONG_TERM_RETENTION_TABLES].sort(), own);
      // Tables others fill (Entra, Sentinel, Defender, the workspace, the subscription's activity log) are not among them.
      for (const t of ["SigninLogs", "SecurityIncident", "SecurityAlert", "Operation", "AzureActivity"])
        assert.ok(!(LONG_TERM_RETENTION_TABLES as readonly string[]).includes(t), t);
    });
  });

  describe("estimate", () => {
    const ws = res(
      `${AN}:operationalinsights:Workspace`,
      { workspaceName: "log-a", retentionInDays: 365, sku: { name: "PerGB2018" } },
      "ws",
    );
    const sentinel = res(`${AN}:securityinsights:SentinelOnboardingState`, { workspaceName: "log-a" }, "sentinel");
    const table = (name: string, inputs: Record<string, unknown>) =>
      res(`${AN}:operationalinsights:Table`, { workspaceName: "log-a", tableName: name, ...inputs }, `t-${name}`);
    it("reads a table's retention from its Table resource as the Table API does, else the workspace's", () => {
      const ctx = contextOf([
        ws,
        table("AzureDiagnostics", { retentionInDays: 90, totalRetentionInDays: 365 }),
        table("AZKVAuditLogs", { retentionInDays: -1, totalRetentionInDays: 730 }),
        table("StorageBlobLogs", { retentionInDays: 120, totalRetentionInDays: -1 }),
      ]);
      assert.deepEqual(tableRetentionDays(ws, "azurediagnostics", ctx), {
        interactive: 90,
        total: 365,
        declared: true,
      });
      assert.deepEqual(tableRetentionDays(ws, "AZKVAuditLogs", ctx), { interactive: 365, total: 730, declared: true });
      assert.deepEqual(tableRetentionDays(ws, "StorageBlobLogs", ctx), {
        interactive: 120,
        total: 120,
        declared: true,
      });
      assert.deepEqual(tableRetentionDays(ws, "AppTraces", ctx), { interactive: 365, total: 365, declared: false });
      assert.deepEqual(tableRetentionDays(ws, undefined, ctx), { interactive: 365, total: 365, declared: false });
    });
    it("prices a table's days beyond the interactive ones at the long-term rate, a fifth of interactive retention", () => {
      const gb = 100 * 30.4167; // 100 GB a day
      const gbDay = gb / 30.4167;
      const lines = (extra: ResourceRecord[]) =>
        workspaceRecordLines(ws, contextOf([ws, sentinel, ...extra]), gb, "the audit", undefined, "AzureDiagnostics")
          .lines;
      const cost = (ls: ReturnType<typeof lines>) => ls.reduce((s, l) => s + l.quantity * price(l.priceId).list, 0);
      const interactive = lines([]);
      const longTerm = lines([table("AzureDiagnostics", { retentionInDays: 90, totalRetentionInDays: 365 })]);
      // All interactive: 275 days beyond Sentinel's 90 at $0.13 a GB-month; with the table: 275 days at $0.026.
      const retention = (ls: ReturnType<typeof lines>) => ls.filter((l) => /retention/.test(l.meter));
      assert.deepEqual(
        retention(interactive).map((l) => [l.priceId, Math.round(l.quantity)]),
        [["log-analytics-retention", Math.round(gbDay * 275)]],
      );
      assert.deepEqual(
        retention(longTerm).map((l) => [l.priceId, Math.round(l.quantity)]),
        [["log-analytics-long-term-retention", Math.round(gbDay * 275)]],
      );
      assert.match(
        retention(longTerm)[0].meter,
        /long-term retention to 365 days \(after 90 interactive\) in AzureDiagnostics/,
      );
      assert.equal(price("log-analytics-long-term-retention").list, 0.026);
      close(cost(interactive) - cost(longTerm), gbDay * 275 * (0.13 - 0.026), "the saving");
      // Another table's setting, or another workspace's, changes nothing for these records.
      const elsewhere = lines([
        table("AZKVAuditLogs", { retentionInDays: 90, totalRetentionInDays: 365 }),
        res(
          `${AN}:operationalinsights:Table`,
          { workspaceName: "log-b", tableName: "AzureDiagnostics", retentionInDays: 90, totalRetentionInDays: 365 },
          "other",
        ),
      ]);
      assert.deepEqual(elsewhere, interactive);
      // Interactive days beyond the included ones are still interactive retention, the rest long-term.
      const longer = retention(lines([table("AzureDiagnostics", { retentionInDays: 180, totalRetentionInDays: 365 })]));
      assert.deepEqual(
        longer.map((l) => [l.priceId, Math.round(l.quantity)]),
        [
          ["log-analytics-retention", Math.round(gbDay * 90)],
          ["log-analytics-long-term-retention", Math.round(gbDay * 185)],
        ],
      );
    });
  });

  it("prod with the SQL audit's tables in long-term retention: each table once, after every tier, one at a time, kept on delete, passing the pack; the audit's retention priced long-term", async function () {
    this.timeout(120_000);
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    doc.config["payments-data-platform:logLongTermRetention"] = {
      interactiveDays: 90,
      tables: ["AzureDiagnostics", "SQLSecurityAuditEvents"],
    };
    const file = path.join(tempDir("ltr-"), "Pulumi.prod.yaml");
    fs.writeFileSync(file, stringify(doc));
    const base = await previewOf("prod");
    const head = await previewStack({ stack: "prod", stackFile: file });
    const tables = head.run.resources.filter((r) => r.type === `${AN}:operationalinsights:Table`);
    assert.deepEqual(
      tables.map((t) => [t.name, t.inputs]),
      ["AzureDiagnostics", "SQLSecurityAuditEvents"].map((tableName) => [
        `operations-retention-${tableName}`,
        {
          workspaceName: "log-pay-prod-weu",
          resourceGroupName: "rg-pay-prod-weu-monitoring",
          tableName,
          plan: "Analytics",
          retentionInDays: 90,
          totalRetentionInDays: 365,
        },
      ]),
      "no schema (a PUT with one replaces an Azure table's custom columns), both retention values (a PUT resets one left out)",
    );
    assert.ok(tables.every((t) => t.retainOnDelete === true && !t.protect));
    assert.match(
      tables[0].id ?? "",
      /\/providers\/Microsoft\.OperationalInsights\/workspaces\/log-pay-prod-weu\/tables\/AzureDiagnostics$/,
    );
    // After the OLTP tier (its master database's diagnostic setting creates AzureDiagnostics' audit records) and every
    // other tier, and the second table after the first.
    const urnOf = (type: string, name: RegExp) =>
      head.run.resources.find((r) => r.type === type && name.test(r.name))?.urn ?? `no ${type} ${name}`;
    for (const t of tables) {
      assert.ok(t.dependencies.includes(urnOf(`${AN}:monitor:DiagnosticSetting`, /^oltp-.*master/)), t.name);
      assert.ok(t.dependencies.includes(urnOf(`${AN}:datafactory:Factory`, /^etl/)), t.name);
    }
    assert.ok(tables[1].dependencies.includes(tables[0].urn));
    assert.ok(!tables[0].dependencies.includes(tables[1].urn));
    // The pack's table rule evaluates both and passes them; nothing else changes in the verdict.
    assert.equal(head.verdict.evaluated[TABLE_RULE], 2);
    assert.equal(base.verdict.evaluated[TABLE_RULE] ?? 0, 0);
    assert.deepEqual(
      head.verdict.violations.filter((v) => v.policy === TABLE_RULE),
      [],
    );
    assert.deepEqual(
      head.verdict.violations.map((v) => `${v.policy} ${v.urn ?? ""}`).sort(),
      base.verdict.violations.map((v) => `${v.policy} ${v.urn ?? ""}`).sort(),
    );
    // The SQL audit of the polls (AzureDiagnostics) is kept long-term from day 91: its interactive retention line
    // becomes a long-term one of the same GB-months; the workspace's other records stay interactive.
    const before = costOfStack(base.run.resources, { stack: "prod", root: ROOT }).estimate;
    const after = costOfStack(head.run.resources, { stack: "prod", root: ROOT }).estimate;
    const audit = (e: typeof before, id: string) =>
      e.lines.filter((l) => l.priceId === id && /SQL audit of the trigger's polls/.test(l.meter));
    const [interactive] = audit(before, "log-analytics-retention");
    const [longTerm] = audit(after, "log-analytics-long-term-retention");
    assert.deepEqual(audit(after, "log-analytics-retention"), []);
    close(longTerm.quantity, interactive.quantity);
    assert.match(longTerm.meter, /in AzureDiagnostics/);
    close(after.total.list - before.total.list, interactive.quantity * (0.026 - 0.13));
    close(after.total.committed - before.total.committed, interactive.quantity * (0.026 - 0.13));
    assert.ok(
      after.total.committed < before.total.committed - 6_000,
      `${before.total.committed} → ${after.total.committed}`,
    );
    assert.ok(after.free.some((f) => f.type === `${AN}:operationalinsights:Table`));
  });
});
