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
import {
  TABLE_TYPE,
  tableEntryName,
  tableOfEntryName,
  tableRetentionTemplate,
} from "../components/operations/retention";
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
        parseConfig(prod({ interactiveDays: 92, tables: ["AzureDiagnostics", "AZKVAuditLogs"] }), "prod")
          .logLongTermRetention,
        { interactiveDays: 92, tables: ["AzureDiagnostics", "AZKVAuditLogs"] },
      );
    });
    it("refuses fewer than 92 interactive days (PCI DSS 10.5.1's three most recent months span up to 92) and a total that keeps nothing long-term", () => {
      assert.equal(MIN_INTERACTIVE_RETENTION_DAYS, 92);
      rejectsConfig(
        prod({ interactiveDays: 90, tables: ["AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(interactiveDays\): got 90; must be between 92 and 729 days \(at least 92: PCI DSS 10\.5\.1's three most recent months, up to 92 days, immediately available; less than logRetentionDays\)/,
      );
      rejectsConfig(
        prod({ interactiveDays: 365, tables: ["AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(interactiveDays\): got 365; must be less than logRetentionDays \(365\), the tables' total retention: with 365 nothing is kept in long-term retention \(leave logLongTermRetention out\)/,
      );
    });
    it("refuses an unknown table naming the tables it takes, an empty list, a table listed twice, the firewall's table without a firewall", () => {
      rejectsConfig(
        prod({ interactiveDays: 92, tables: ["SigninLogs"] }),
        "prod",
        new RegExp(
          `logLongTermRetention \\(tables\\.0\\): got "SigninLogs"; must be one of ${LONG_TERM_RETENTION_TABLES.join(", ")}`,
        ),
      );
      rejectsConfig(
        prod({ interactiveDays: 92, tables: [] }),
        "prod",
        /logLongTermRetention \(tables\): .*must list at least one table \(AzureDiagnostics, .*\), or leave logLongTermRetention out/,
      );
      rejectsConfig(
        prod({ interactiveDays: 92, tables: ["AzureDiagnostics", "AzureDiagnostics"] }),
        "prod",
        /logLongTermRetention \(tables\.1\): .*must be unique \('AzureDiagnostics' is listed twice\)/,
      );
      rejectsConfig(
        prod({ interactiveDays: 92, tables: ["AZFWThreatIntel"] }, { enableFirewall: false }),
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
    /** A table's retention as components/operations/retention.ts sets it: an entry of an inline ARM deployment. */
    const table = (name: string, properties: Record<string, unknown>, workspaceName = "log-a") =>
      res(
        `${AN}:resources:Deployment`,
        {
          properties: {
            mode: "Incremental",
            template: {
              parameters: { workspaceName: { type: "string" } },
              resources: [{ type: TABLE_TYPE, apiVersion: "2023-09-01", name: tableEntryName(name), properties }],
            },
            parameters: { workspaceName: { value: workspaceName } },
          },
        },
        `d-${workspaceName}-${name}`,
      );
    it("reads a table's retention from the deployment that sets it (or a Table resource) as the Table API does, else the workspace's", () => {
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
      const typed = res(
        `${AN}:operationalinsights:Table`,
        { workspaceName: "log-a", tableName: "AppTraces", retentionInDays: 100, totalRetentionInDays: 400 },
        "typed",
      );
      assert.deepEqual(tableRetentionDays(ws, "AppTraces", contextOf([ws, typed])), {
        interactive: 100,
        total: 400,
        declared: true,
      });
      // The template as the operations tier writes it: each table read back by its entry's name.
      const written = res(
        `${AN}:resources:Deployment`,
        {
          properties: {
            template: tableRetentionTemplate(["AzureDiagnostics", "AppTraces"], 92, 365),
            parameters: { workspaceName: { value: "log-a" } },
          },
        },
        "written",
      );
      for (const t of ["AzureDiagnostics", "AppTraces"])
        assert.deepEqual(tableRetentionDays(ws, t, contextOf([ws, written])), {
          interactive: 92,
          total: 365,
          declared: true,
        });
      assert.equal(tableOfEntryName(tableEntryName("AzureDiagnostics")), "AzureDiagnostics");
      // Only a deployment in the workspace's own group, and only an entry it deploys (not one its condition leaves out).
      const inGroup = (resourceGroupName: string, extra: Record<string, unknown> = {}) =>
        res(
          `${AN}:resources:Deployment`,
          {
            resourceGroupName,
            properties: {
              template: {
                resources: [
                  {
                    type: TABLE_TYPE,
                    name: tableEntryName("AzureDiagnostics"),
                    properties: { retentionInDays: 92, totalRetentionInDays: 365 },
                    ...extra,
                  },
                ],
              },
              parameters: { workspaceName: { value: "log-a" } },
            },
          },
          `g-${resourceGroupName}-${Object.keys(extra).join("")}`,
        );
      const grouped = { ...ws, inputs: { ...ws.inputs, resourceGroupName: "rg-monitoring" } };
      const read = (d: ResourceRecord) => tableRetentionDays(grouped, "AzureDiagnostics", contextOf([grouped, d]));
      assert.deepEqual(read(inGroup("RG-Monitoring")), { interactive: 92, total: 365, declared: true });
      assert.deepEqual(read(inGroup("rg-other")), { interactive: 365, total: 365, declared: false });
      assert.deepEqual(read(inGroup("rg-monitoring", { condition: false })), {
        interactive: 365,
        total: 365,
        declared: false,
      });
      assert.deepEqual(read(inGroup("rg-monitoring", { condition: "[parameters('on')]" })), {
        interactive: 365,
        total: 365,
        declared: false,
      });
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
        table("AzureDiagnostics", { retentionInDays: 90, totalRetentionInDays: 365 }, "log-b"),
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

  it("prod with the SQL audit's tables in long-term retention: one ARM deployment after every tier and Sentinel's onboarding, its tables one at a time, passing the pack; no typed Table; the audit's retention priced long-term", async function () {
    this.timeout(120_000);
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    doc.config["payments-data-platform:logLongTermRetention"] = {
      interactiveDays: 92,
      tables: ["AzureDiagnostics", "SQLSecurityAuditEvents"],
    };
    const file = path.join(tempDir("ltr-"), "Pulumi.prod.yaml");
    fs.writeFileSync(file, stringify(doc));
    const base = await previewOf("prod");
    const head = await previewStack({ stack: "prod", stackFile: file });
    // azure-native refuses to create what Azure made already ("cannot create already existing resource"): no typed
    // Table, in either view, for a table Azure creates.
    for (const run of [base.run, head.run])
      assert.deepEqual(
        run.resources.filter(
          (r) => r.type === `${AN}:operationalinsights:Table` && String(r.inputs.tableName) in TABLES,
        ),
        [],
      );
    const deployment = head.run.resources.find((r) => r.name === "operations-table-retention");
    assert.ok(deployment && deployment.type === `${AN}:resources:Deployment`);
    assert.ok(!base.run.resources.some((r) => r.name === "operations-table-retention"));
    assert.deepEqual(deployment.inputs.properties, {
      mode: "Incremental",
      parameters: { workspaceName: { value: "log-pay-prod-weu" } },
      template: {
        $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        contentVersion: "1.0.0.0",
        parameters: { workspaceName: { type: "string" } },
        // Both retention values (a PUT resets one left out), no plan and no schema (a PUT with one replaces an Azure
        // table's custom columns), the second table after the first.
        resources: [
          {
            type: "Microsoft.OperationalInsights/workspaces/tables",
            apiVersion: "2023-09-01",
            name: "[concat(parameters('workspaceName'), '/AzureDiagnostics')]",
            properties: { retentionInDays: 92, totalRetentionInDays: 365 },
          },
          {
            type: "Microsoft.OperationalInsights/workspaces/tables",
            apiVersion: "2023-09-01",
            name: "[concat(parameters('workspaceName'), '/SQLSecurityAuditEvents')]",
            properties: { retentionInDays: 92, totalRetentionInDays: 365 },
            dependsOn: [
              "[resourceId('Microsoft.OperationalInsights/workspaces/tables', parameters('workspaceName'), 'AzureDiagnostics')]",
            ],
          },
        ],
      },
    });
    assert.equal(deployment.inputs.deploymentName, "log-pay-prod-weu-table-retention");
    assert.equal(deployment.inputs.resourceGroupName, "rg-pay-prod-weu-monitoring");
    // After the OLTP tier (its master database's diagnostic setting creates AzureDiagnostics' audit records), every
    // other tier, and Sentinel's onboarding of the workspace.
    const urnOf = (type: string, name: RegExp) =>
      head.run.resources.find((r) => r.type === type && name.test(r.name))?.urn ?? `no ${type} ${name}`;
    for (const [type, name] of [
      [`${AN}:monitor:DiagnosticSetting`, /^oltp-.*master/],
      [`${AN}:datafactory:Factory`, /^etl/],
      [`${AN}:securityinsights:SentinelOnboardingState`, /^operations-sentinel$/],
    ] as const)
      assert.ok(deployment.dependencies.includes(urnOf(type, name)), `${type} ${name}`);
    // The pack's table rule reads the template and passes it; the template's type is allowed; nothing else changes.
    assert.equal(head.verdict.evaluated[TABLE_RULE], 1);
    assert.equal(base.verdict.evaluated[TABLE_RULE] ?? 0, 0);
    assert.deepEqual(
      head.verdict.violations.map((v) => `${v.policy} ${v.urn ?? ""}`).sort(),
      base.verdict.violations.map((v) => `${v.policy} ${v.urn ?? ""}`).sort(),
    );
    // The SQL audit of the polls (AzureDiagnostics) is kept long-term from day 93: its interactive retention line
    // (beyond Sentinel's 90 days) keeps 2 days and the other 273 become long-term; the workspace's other records stay
    // interactive.
    const before = costOfStack(base.run.resources, { stack: "prod", root: ROOT }).estimate;
    const after = costOfStack(head.run.resources, { stack: "prod", root: ROOT }).estimate;
    const audit = (e: typeof before, id: string) =>
      e.lines.filter((l) => l.priceId === id && /SQL audit of the trigger's polls/.test(l.meter));
    const [interactive] = audit(before, "log-analytics-retention");
    const [kept] = audit(after, "log-analytics-retention");
    const [longTerm] = audit(after, "log-analytics-long-term-retention");
    const gbDay = interactive.quantity / (365 - 90);
    close(kept.quantity, gbDay * 2, "92 interactive days, 90 of them Sentinel's free ones");
    close(longTerm.quantity, gbDay * 273);
    assert.match(longTerm.meter, /long-term retention to 365 days \(after 92 interactive\) in AzureDiagnostics/);
    const saving = gbDay * 273 * (0.026 - 0.13);
    close(after.total.list - before.total.list, saving);
    close(after.total.committed - before.total.committed, saving);
    assert.ok(
      after.total.committed < before.total.committed - 6_000,
      `${before.total.committed} → ${after.total.committed}`,
    );
    assert.ok(after.free.some((f) => f.name === "operations-table-retention"));
  });
});
