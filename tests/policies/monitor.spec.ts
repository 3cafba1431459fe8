import { strict as assert } from "node:assert";
import {
  activityLogExport,
  componentIpMasking,
  componentLocalAuth,
  componentNetwork,
  componentWorkspace,
  diagnosticCoverage,
  diagnosticDestination,
  monitorPolicies,
  privateLinkScopeAccessMode,
  workspaceDailyCap,
  workspaceLocalAuth,
  workspaceNetwork,
  tableRetention,
  workspaceRetention,
} from "../../policies/rules/monitor";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, type ResourceRecord } from "../../tools/lib/policyRunner";
import { component, diagnosticSetting, workspace } from "./fixtures/monitor";
import { vault } from "./fixtures/keyvault";
import { STORAGE_ID, storageAccount } from "./fixtures/storage";
import { armId } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, inStack, mutate, UNKNOWN } from "./helpers";
import { resourceRecord } from "../../tools/lib/policyRunner";

/** Vault (ids unknown, wired by URN) and storage account (wired by id to its blob service) with their settings. */
function diagnosedStack(): { kv: ResourceRecord; st: ResourceRecord; all: ResourceRecord[] } {
  const log = workspace();
  const kv = vault();
  const base = storageAccount();
  const st: ResourceRecord = { ...base, outputs: { ...base.outputs, id: STORAGE_ID } };
  return {
    kv,
    st,
    all: [
      log,
      kv,
      st,
      diagnosticSetting("diag-kv-pay-dev-weu", kv, UNKNOWN, "dev", log),
      diagnosticSetting("diag-stpaydevweu-blob", undefined, `${STORAGE_ID}/blobServices/default`),
      diagnosticSetting("diag-log-pay-dev-weu", log, UNKNOWN, "dev", log),
    ],
  };
}

describe("policies/monitor", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(monitorPolicies.length, 13);
    for (const p of monitorPolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  describe(tableRetention.name, () => {
    const table = (props: Record<string, unknown>) =>
      resourceRecord("azure-native:operationalinsights:Table", "log-pay-dev-weu-sql-audit", {
        resourceGroupName: "rg-pay-dev-weu-monitoring",
        workspaceName: "log-pay-dev-weu",
        tableName: "SQLSecurityAuditEvents",
        ...props,
      });
    it("passes a table that keeps the workspace's retention (absent or -1), or sets enough of its own", async () => {
      await expectPass(tableRetention, table({}));
      await expectPass(tableRetention, table({ retentionInDays: -1, totalRetentionInDays: -1 }));
      await expectPass(tableRetention, inStack(table({ retentionInDays: 90, totalRetentionInDays: 365 }), "prod"));
    });
    it("fails an audit table that shortens the workspace's retention", () =>
      expectFail(
        tableRetention,
        table({ retentionInDays: 4, totalRetentionInDays: 365 }),
        /log-pay-dev-weu-sql-audit .*keeps its logs 4 days interactively, overriding the workspace: set retentionInDays to at least 90/,
      ));
    it("fails a prod table that sets 90 days and no total (the total then follows the table's own retention)", () =>
      expectFail(
        tableRetention,
        inStack(table({ retentionInDays: 90 }), "prod"),
        /keeps its logs 90 days in all in stack 'prod'/,
      ));
    it("fails a prod table kept less than a year in all", () =>
      expectFail(
        tableRetention,
        inStack(table({ retentionInDays: 92, totalRetentionInDays: 180 }), "prod"),
        /keeps its logs 180 days in all in stack 'prod': set totalRetentionInDays to at least 365/,
      ));
    it("fails a table on the Basic plan (queryable 30 days, whatever it sets) or on Auxiliary with a short total", async () => {
      await expectFail(
        tableRetention,
        table({ plan: "Basic", totalRetentionInDays: 365 }),
        /log-pay-dev-weu-sql-audit .*is on the Basic plan, queryable only 30 days: keep audit tables on the Analytics plan/,
      );
      // Without a total, a Basic table keeps 30 days in all (Microsoft's default): both shortfalls are reported.
      assert.equal((await evaluatePolicy(tableRetention, table({ plan: "Basic" }))).messages.length, 2);
      await expectFail(
        tableRetention,
        table({ plan: "Auxiliary" }),
        /log-pay-dev-weu-sql-audit .*keeps its logs 30 days in all: set totalRetentionInDays to at least 90/,
      );
      // Auxiliary tables are queried over their total retention: a year of it passes in prod.
      await expectPass(tableRetention, inStack(table({ plan: "Auxiliary", totalRetentionInDays: 365 }), "prod"));
      await expectPass(tableRetention, table({ plan: "Analytics" }));
    });
    it("fails a table kept longer in all than maxTotalRetentionDays (GDPR storage limitation)", async () => {
      await expectFail(
        tableRetention,
        table({ retentionInDays: 92, totalRetentionInDays: 4383 }),
        /keeps its logs 4383 days in all, beyond the 730-day maximum \(GDPR storage limitation; maxTotalRetentionDays\)/,
      );
      await expectPass(tableRetention, table({ retentionInDays: 92, totalRetentionInDays: 4383 }), {
        maxTotalRetentionDays: 4383,
      });
    });
    it("cannot decide while the plan is unknown", () => expectUndecided(tableRetention, table({ plan: UNKNOWN })));
    it("is not applicable to other types", () => expectNotApplicable(tableRetention, workspace()));

    // The tables' retention set through an inline ARM deployment (components/operations/retention.ts).
    const deployment = (tables: Record<string, Record<string, unknown>>, template?: unknown) =>
      resourceRecord("azure-native:resources:Deployment", "operations-table-retention", {
        resourceGroupName: "rg-pay-dev-weu-monitoring",
        properties: {
          mode: "Incremental",
          parameters: { workspaceName: { value: "log-pay-dev-weu" } },
          template: template ?? {
            parameters: { workspaceName: { type: "string" } },
            resources: Object.entries(tables).map(([name, properties]) => ({
              type: "Microsoft.OperationalInsights/workspaces/tables",
              apiVersion: "2023-09-01",
              name: `[concat(parameters('workspaceName'), '/${name}')]`,
              properties,
            })),
          },
        },
      });
    it("holds a deployment's template tables to the same: passes enough, names each table that falls short", async () => {
      await expectPass(
        tableRetention,
        inStack(deployment({ AzureDiagnostics: { retentionInDays: 92, totalRetentionInDays: 365 } }), "prod"),
      );
      await expectFail(
        tableRetention,
        inStack(
          deployment({
            AzureDiagnostics: { retentionInDays: 92, totalRetentionInDays: 365 },
            SQLSecurityAuditEvents: { retentionInDays: 30, totalRetentionInDays: 365 },
          }),
          "prod",
        ),
        /operations-table-retention .*template's table SQLSecurityAuditEvents keeps its logs 30 days interactively, overriding the workspace: set retentionInDays to at least 90/,
      );
      const { messages } = await evaluatePolicy(
        tableRetention,
        inStack(deployment({ AzureDiagnostics: { retentionInDays: 30, totalRetentionInDays: 180 } }), "prod"),
      );
      assert.equal(messages.length, 2, "interactive and total both short");
      assert.ok(messages.every((m) => /template's table AzureDiagnostics/.test(m)));
    });
    it("fails a template table it cannot read: properties as an expression, a retention as a string, a name in another case", async () => {
      const dep = (properties: unknown) =>
        inStack(
          deployment(
            {},
            {
              resources: [
                {
                  type: "Microsoft.OperationalInsights/workspaces/tables",
                  name: "[concat(parameters('workspaceName'), '/AzureDiagnostics')]",
                  properties,
                },
              ],
            },
          ),
          "prod",
        );
      await expectFail(
        tableRetention,
        dep("[variables('p')]"),
        /template's table AzureDiagnostics sets its properties with "\[variables\('p'\)\]", which the pack cannot read: write each value as a literal/,
      );
      await expectFail(
        tableRetention,
        dep({ retentionInDays: "30", totalRetentionInDays: 365 }),
        /template's table AzureDiagnostics sets retentionInDays to "30", not a number/,
      );
      await expectFail(
        tableRetention,
        dep({ RetentionInDays: 30, totalRetentionInDays: 365 }),
        /template's table AzureDiagnostics spells retentionInDays as RetentionInDays, which the pack does not read/,
      );
      await expectPass(tableRetention, dep({ retentionInDays: 92, totalRetentionInDays: 365 }));
      // An entry its condition leaves out cannot hide another of the same name, and one without a name is still read.
      const entry = (properties: unknown, extra: Record<string, unknown> = {}) => ({
        type: "Microsoft.OperationalInsights/workspaces/tables",
        name: "[concat(parameters('workspaceName'), '/AzureDiagnostics')]",
        properties,
        ...extra,
      });
      await expectFail(
        tableRetention,
        inStack(
          deployment(
            {},
            {
              resources: [
                entry({ retentionInDays: 92, totalRetentionInDays: 365 }, { condition: false }),
                entry("[variables('p')]"),
              ],
            },
          ),
          "prod",
        ),
        /template's table AzureDiagnostics sets its properties with/,
      );
      await expectFail(
        tableRetention,
        deployment({}, { resources: [entry({ retentionInDays: "[parameters('d')]" }, { name: undefined })] }),
        /template's table \(name not known\) sets retentionInDays with an ARM expression/,
      );
    });
    it("cannot decide while a template table's properties are unknown", () =>
      expectUndecided(
        tableRetention,
        deployment(
          {},
          {
            resources: [
              {
                type: "Microsoft.OperationalInsights/workspaces/tables",
                name: "[concat(parameters('workspaceName'), '/AzureDiagnostics')]",
                properties: UNKNOWN,
              },
            ],
          },
        ),
      ));
    it("fails a template table whose retention is an ARM expression, and does not apply to a template without tables", async () => {
      await expectFail(
        tableRetention,
        deployment({ AzureDiagnostics: { retentionInDays: "[parameters('days')]", totalRetentionInDays: 365 } }),
        /template's table AzureDiagnostics sets retentionInDays with an ARM expression the pack cannot read: write each value as a literal/,
      );
      await expectNotApplicable(
        tableRetention,
        deployment({}, { resources: [{ type: "Microsoft.Synapse/workspaces/keys", name: "x", properties: {} }] }),
      );
    });
    it("cannot decide while a deployment's template is unknown", () =>
      expectUndecided(tableRetention, deployment({}, UNKNOWN)));
  });

  describe(workspaceDailyCap.name, () => {
    const prodWs = () => mutate(inStack(workspace(), "prod"), "retentionInDays", 365);
    it("passes a prod workspace without a cap (absent or -1)", async () => {
      await expectPass(workspaceDailyCap, prodWs());
      await expectPass(workspaceDailyCap, mutate(prodWs(), "workspaceCapping", { dailyQuotaGb: -1 }));
    });
    it("fails a prod workspace with a daily cap", () =>
      expectFail(
        workspaceDailyCap,
        mutate(prodWs(), "workspaceCapping", { dailyQuotaGb: 10 }),
        /log-pay-dev-weu .*stops collecting logs after 10 GB a day \(workspaceCapping\.dailyQuotaGb\): remove the cap/,
      ));
    it("cannot decide while the cap is unknown", () =>
      expectUndecided(workspaceDailyCap, mutate(prodWs(), "workspaceCapping", { dailyQuotaGb: UNKNOWN })));
    it("is not applicable outside prod or to other types", async () => {
      await expectNotApplicable(workspaceDailyCap, mutate(workspace(), "workspaceCapping", { dailyQuotaGb: 1 }));
      await expectNotApplicable(workspaceDailyCap, component());
    });
  });

  describe(workspaceRetention.name, () => {
    it("passes 90 days outside prod", () => expectPass(workspaceRetention, workspace()));
    it("fails 30 days", () =>
      expectFail(
        workspaceRetention,
        mutate(workspace(), "retentionInDays", 30),
        /log-pay-dev-weu .*keeps logs 30 days: set retentionInDays to at least 90/,
      ));
    it("fails when absent (30-day default)", () =>
      expectFail(
        workspaceRetention,
        mutate(workspace(), "retentionInDays", undefined),
        /30 days \(default\).*retentionInDays/,
      ));
    it("requires 365 days in prod stacks", () =>
      expectFail(
        workspaceRetention,
        inStack(workspace(), "prod"),
        /log-pay-dev-weu .*keeps logs 90 days in stack 'prod': set retentionInDays to at least 365/,
      ));
    it("passes 365 days in prod", () =>
      expectPass(workspaceRetention, mutate(inStack(workspace(), "prod"), "retentionInDays", 365)));
    it("lets a prod stack relying on table-level retention lower prodMinRetentionDays", () =>
      expectPass(workspaceRetention, inStack(workspace(), "prod"), { prodMinRetentionDays: 90 }));
    it("fails retention beyond maxRetentionDays", () =>
      expectFail(
        workspaceRetention,
        mutate(workspace(), "retentionInDays", 730),
        /730 days, beyond the 400-day maximum/,
        {
          maxRetentionDays: 400,
        },
      ));
    it("is not applicable to App Insights", () => expectNotApplicable(workspaceRetention, component()));
  });

  describe(workspaceLocalAuth.name, () => {
    it("passes the compliant workspace", () => expectPass(workspaceLocalAuth, workspace()));
    it("fails when keys are enabled (absent)", () =>
      expectFail(
        workspaceLocalAuth,
        mutate(workspace(), "features.disableLocalAuth", undefined),
        /log-pay-dev-weu .*set features\.disableLocalAuth to true/,
      ));
    it("is not applicable to App Insights", () => expectNotApplicable(workspaceLocalAuth, component()));
  });

  describe(workspaceNetwork.name, () => {
    it("passes the compliant workspace", () => expectPass(workspaceNetwork, workspace()));
    it("fails public ingestion", () =>
      expectFail(
        workspaceNetwork,
        mutate(workspace(), "publicNetworkAccessForIngestion", "Enabled"),
        /log-pay-dev-weu .*set publicNetworkAccessForIngestion to "Disabled"/,
      ));
    it("fails public query by default", () =>
      expectFail(
        workspaceNetwork,
        mutate(workspace(), "publicNetworkAccessForQuery", undefined),
        /log-pay-dev-weu .*set publicNetworkAccessForQuery to "Disabled"/,
      ));
    it("allows public query with allowPublicQuery", () =>
      expectPass(workspaceNetwork, mutate(workspace(), "publicNetworkAccessForQuery", "Enabled"), {
        allowPublicQuery: true,
      }));
    it("still requires private ingestion with allowPublicQuery", () =>
      expectFail(workspaceNetwork, mutate(workspace(), "publicNetworkAccessForIngestion", "Enabled"), /Ingestion/i, {
        allowPublicQuery: true,
      }));
    it("is not applicable to App Insights", () => expectNotApplicable(workspaceNetwork, component()));
  });

  describe(componentLocalAuth.name, () => {
    it("passes the compliant component", () => expectPass(componentLocalAuth, component()));
    it("fails instrumentation-key ingestion", () =>
      expectFail(
        componentLocalAuth,
        mutate(component(), "disableLocalAuth", false),
        /appi-pay-dev-weu .*set disableLocalAuth to true/,
      ));
    it("is not applicable to workspaces", () => expectNotApplicable(componentLocalAuth, workspace()));
  });

  describe(componentWorkspace.name, () => {
    it("passes the compliant component", () => expectPass(componentWorkspace, component()));
    it("passes a workspace id unknown during preview", () =>
      expectPass(componentWorkspace, mutate(component(), "workspaceResourceId", UNKNOWN)));
    it("fails a classic component", () =>
      expectFail(
        componentWorkspace,
        mutate(component(), "workspaceResourceId", undefined),
        /appi-pay-dev-weu .*not workspace-based: set workspaceResourceId/,
      ));
    it("fails a non-LogAnalytics ingestion mode", () =>
      expectFail(
        componentWorkspace,
        mutate(component(), "ingestionMode", "ApplicationInsights"),
        /appi-pay-dev-weu .*'ApplicationInsights' mode: set ingestionMode to "LogAnalytics"/,
      ));
    it("is not applicable to workspaces", () => expectNotApplicable(componentWorkspace, workspace()));
  });

  describe(componentNetwork.name, () => {
    it("passes the compliant component", () => expectPass(componentNetwork, component()));
    it("fails public ingestion", () =>
      expectFail(
        componentNetwork,
        mutate(component(), "publicNetworkAccessForIngestion", "Enabled"),
        /appi-pay-dev-weu .*publicNetworkAccessForIngestion/,
      ));
    it("fails public query", () =>
      expectFail(
        componentNetwork,
        mutate(component(), "publicNetworkAccessForQuery", "Enabled"),
        /appi-pay-dev-weu .*publicNetworkAccessForQuery/,
      ));
    it("is not applicable to workspaces", () => expectNotApplicable(componentNetwork, workspace()));
  });

  describe(componentIpMasking.name, () => {
    it("passes the compliant component and the default", async () => {
      await expectPass(componentIpMasking, component());
      await expectPass(componentIpMasking, mutate(component(), "disableIpMasking", undefined));
    });
    it("fails when IP masking is disabled", () =>
      expectFail(
        componentIpMasking,
        mutate(component(), "disableIpMasking", true),
        /appi-pay-dev-weu .*set disableIpMasking to false/,
      ));
    it("is not applicable to workspaces", () => expectNotApplicable(componentIpMasking, workspace()));
  });

  describe(diagnosticDestination.name, () => {
    const setting = () => diagnosticSetting("diag-kv-pay-dev-weu", vault(), UNKNOWN);
    it("passes the compliant setting", () => expectPass(diagnosticDestination, setting()));
    it("passes allLogs and an unknown workspace id", async () => {
      const s = mutate(mutate(setting(), "logs.0.categoryGroup", "allLogs"), "workspaceId", UNKNOWN);
      await expectPass(diagnosticDestination, s);
    });
    it("fails without a workspace", () =>
      expectFail(
        diagnosticDestination,
        mutate(setting(), "workspaceId", undefined),
        /diag-kv-pay-dev-weu .*no Log Analytics workspace: set workspaceId/,
      ));
    it("fails without the audit category group", () =>
      expectFail(
        diagnosticDestination,
        mutate(setting(), "logs", [{ category: "AuditEvent", enabled: true }]),
        /diag-kv-pay-dev-weu .*audit or allLogs category group: add logs entry/,
      ));
    const MASTER = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-pay/databases/master";
    const SYNAPSE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/synw-pay";
    const on = (uri: string, categories: string[]) =>
      mutate(
        mutate(setting(), "resourceUri", uri),
        "logs",
        categories.map((category) => ({ category, enabled: true })),
      );
    it("passes the SQL audit category named instead of a group (master database auditing)", () =>
      expectPass(diagnosticDestination, on(MASTER, ["SQLSecurityAuditEvents", "DevOpsOperationsAudit"])));
    it("honours auditCategories", () =>
      expectPass(
        diagnosticDestination,
        on("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", ["AuditEvent"]),
        {
          auditCategories: ["AuditEvent"],
        },
      ));
    it("fails named categories that leave out what the resource's type requires (a Synapse workspace's RBAC record)", async () => {
      await expectFail(
        diagnosticDestination,
        on(SYNAPSE, ["SQLSecurityAuditEvents"]),
        /names its log categories but leaves out SynapseRbacOperations, GatewayApiRequests, which a microsoft\.synapse\/workspaces must send/,
      );
      await expectPass(
        diagnosticDestination,
        on(SYNAPSE, ["SynapseRbacOperations", "GatewayApiRequests", "SQLSecurityAuditEvents"]),
      );
      await expectFail(
        diagnosticDestination,
        on(`${SYNAPSE}/sqlPools/dw`, ["SQLSecurityAuditEvents"]),
        /leaves out SqlRequests, which a microsoft\.synapse\/workspaces\/sqlpools must send/,
      );
      // Its resource unknown in a preview: which categories it needs is too.
      await expectUndecided(diagnosticDestination, on(UNKNOWN, ["SQLSecurityAuditEvents"]));
    });
    it("fails explicit categories without an enabled audit one (Synapse pool categories)", () =>
      expectFail(
        diagnosticDestination,
        mutate(setting(), "logs", [
          { category: "SqlRequests", enabled: true },
          { category: "SQLSecurityAuditEvents", enabled: false },
        ]),
        /audit or allLogs category group: add logs entry/,
      ));
    it("fails a disabled audit entry", () =>
      expectFail(diagnosticDestination, mutate(setting(), "logs.0.enabled", false), /category group/));
    it("honours categoryGroups", () =>
      expectFail(diagnosticDestination, setting(), /allLogs category group/, { categoryGroups: ["allLogs"] }));
    it("is not applicable to workspaces", () => expectNotApplicable(diagnosticDestination, workspace()));
  });

  describe(diagnosticCoverage.name, () => {
    it("passes when every data resource has a setting (by URN with unknown ids, and by id)", () =>
      expectPass(diagnosticCoverage, diagnosedStack().all));
    it("covers the egress firewall", async () => {
      const log = workspace();
      const logDiag = diagnosticSetting("diag-log", log, UNKNOWN);
      const afw = resourceRecord(
        "azure-native:network:AzureFirewall",
        "afw-pay-dev-weu",
        {},
        { outputs: { id: "/x/afw" } },
      );
      await expectFail(diagnosticCoverage, [log, logDiag, afw], /afw-pay-dev-weu .*has no diagnostic setting/);
      await expectPass(diagnosticCoverage, [log, logDiag, afw, diagnosticSetting("diag-afw", log, "/x/afw")]);
    });
    it("covers the dedicated pool, the streaming job, public IPs, the VNet and Event Grid system topics", async () => {
      const log = workspace();
      const logDiag = diagnosticSetting("diag-log", log, UNKNOWN);
      for (const type of [
        "azure-native:synapse:SqlPool",
        "azure-native:streamanalytics:StreamingJob",
        "azure-native:network:PublicIPAddress",
        "azure-native:network:VirtualNetwork",
        "azure-native:eventgrid:SystemTopic",
      ]) {
        const r = resourceRecord(type, "res-pay-dev-weu", {}, { outputs: { id: "/x/res" } });
        await expectFail(diagnosticCoverage, [log, logDiag, r], /res-pay-dev-weu .*has no diagnostic setting/);
        await expectPass(diagnosticCoverage, [log, logDiag, r, diagnosticSetting("diag-res", log, "/x/res")]);
      }
    });
    it("fails a vault without a setting, naming its URN", async () => {
      const { kv, all } = diagnosedStack();
      const r = await expectFail(
        diagnosticCoverage,
        all.filter((x) => x.name !== "diag-kv-pay-dev-weu"),
        /kv-pay-dev-weu \(urn:pulumi:dev::payments-data-platform::azure-native:keyvault:Vault::kv-pay-dev-weu\) has no diagnostic setting/,
      );
      assert.equal(r.violations[0].urn, kv.urn);
    });
    it("fails a storage account whose setting goes to no workspace", async () => {
      const { st, all } = diagnosedStack();
      const r = await expectFail(
        diagnosticCoverage,
        all.map((x) => (x.name === "diag-stpaydevweu-blob" ? mutate(x, "workspaceId", undefined) : x)),
        /stpaydevweu \(urn:.*StorageAccount::stpaydevweu\) has no diagnostic setting/,
      );
      assert.equal(r.violations[0].urn, st.urn);
    });
    it("does not count a child's setting for its parent (a key's id starts with its vault's)", async () => {
      const { all } = diagnosedStack();
      const kvId = armId("Microsoft.KeyVault", "vaults/kv-pay-dev-weu");
      const known = all
        .filter((x) => x.name !== "diag-kv-pay-dev-weu")
        .map((x) => (x.name === "kv-pay-dev-weu" ? { ...x, outputs: { ...x.outputs, id: kvId } } : x));
      await expectFail(
        diagnosticCoverage,
        [...known, diagnosticSetting("diag-kv-key", undefined, `${kvId}/keys/cmk-sql`)],
        /kv-pay-dev-weu .*has no diagnostic setting/,
      );
      // The vault's own id passes, in any case.
      await expectPass(diagnosticCoverage, [...known, diagnosticSetting("diag-kv", undefined, kvId.toUpperCase())]);
    });
    it("counts a storage account's service settings, not its own (metrics only)", async () => {
      const log = workspace();
      const id = armId("Microsoft.Storage", "storageAccounts/stpaydevweu");
      const st = resourceRecord("azure-native:storage:StorageAccount", "stpaydevweu", {}, { outputs: { id } });
      const logDiag = diagnosticSetting("diag-log", log, UNKNOWN);
      await expectFail(
        diagnosticCoverage,
        [log, logDiag, st, diagnosticSetting("diag-st", undefined, id)],
        /stpaydevweu .*has no diagnostic setting/,
      );
      await expectPass(diagnosticCoverage, [
        log,
        logDiag,
        st,
        diagnosticSetting("diag-st", undefined, id),
        diagnosticSetting("diag-st-blob", undefined, `${id}/blobServices/default`),
      ]);
    });
    it("tells a storage account's own setting from a service's during a first preview (ids unknown) by its logs", async () => {
      const log = workspace();
      const logDiag = diagnosticSetting("diag-log", log, UNKNOWN);
      const st = resourceRecord("azure-native:storage:StorageAccount", "stx", {}, { outputs: { id: UNKNOWN } });
      const metricsOnly = mutate(diagnosticSetting("diag-st", st, UNKNOWN), "logs", []);
      await expectFail(diagnosticCoverage, [log, logDiag, st, metricsOnly], /stx .*has no diagnostic setting/);
      await expectPass(diagnosticCoverage, [
        log,
        logDiag,
        st,
        metricsOnly,
        diagnosticSetting("diag-st-blob", st, UNKNOWN),
      ]);
    });
    it("counts a SQL server's master database setting for the server, not another database's", async () => {
      const log = workspace();
      const id = armId("Microsoft.Sql", "servers/sql-pay-dev-weu");
      const server = resourceRecord("azure-native:sql:Server", "sql-pay-dev-weu", {}, { outputs: { id } });
      const logDiag = diagnosticSetting("diag-log", log, UNKNOWN);
      await expectPass(diagnosticCoverage, [
        log,
        logDiag,
        server,
        diagnosticSetting("diag-master", undefined, `${id}/databases/master`),
      ]);
      await expectFail(
        diagnosticCoverage,
        [log, logDiag, server, diagnosticSetting("diag-payments", undefined, `${id}/databases/payments`)],
        /sql-pay-dev-weu .*has no diagnostic setting/,
      );
    });
    it("does not match a setting wired to another resource", () =>
      expectFail(
        diagnosticCoverage,
        [vault(), diagnosticSetting("diag-other", workspace(), UNKNOWN)],
        /kv-pay-dev-weu .*no diagnostic setting/,
      ));
    it("tolerates unknown ids on other settings when ids are known", async () => {
      const { all } = diagnosedStack();
      const kvKnown = all.map((x) =>
        x.name === "kv-pay-dev-weu"
          ? { ...x, outputs: { ...x.outputs, id: armId("Microsoft.KeyVault", "vaults/kv-pay-dev-weu") } }
          : x,
      );
      await expectPass(diagnosticCoverage, kvKnown);
    });
    it("honours resourceTypes", async () => {
      const { all } = diagnosedStack();
      const withoutKvSetting = all.filter((x) => x.name !== "diag-kv-pay-dev-weu");
      await expectPass(diagnosticCoverage, withoutKvSetting, {
        resourceTypes: ["azure-native:storage:StorageAccount"],
      });
    });
    it("fails a Log Analytics workspace that does not log who queries it", () =>
      expectFail(
        diagnosticCoverage,
        diagnosedStack().all.filter((x) => x.name !== "diag-log-pay-dev-weu"),
        /log-pay-dev-weu .*has no diagnostic setting/,
      ));
    it("is not applicable to a stack without data resources", () =>
      expectNotApplicable(diagnosticCoverage, [
        resourceRecord("azure-native:resources:ResourceGroup", "rg-pay-dev-weu", { location: "westeurope" }),
      ]));
    it("reports exempted resources instead of violations", async () => {
      const { all } = diagnosedStack();
      const r = await evaluatePolicy(
        diagnosticCoverage,
        all.filter((x) => x.name !== "diag-kv-pay-dev-weu"),
        { exemptions: [{ pattern: "kv-pay-*", reason: "RISK-7: diagnostic setting created by the security team" }] },
      );
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions.length, 1);
      assert.equal(r.exemptions[0].policy, diagnosticCoverage.name);
      assert.match(r.exemptions[0].urn, /keyvault:Vault::kv-pay-dev-weu$/);
    });
  });

  describe(privateLinkScopeAccessMode.name, () => {
    const scope = () =>
      resourceRecord("azure-native:monitor:PrivateLinkScope", "ampls-pay-dev-weu", {
        resourceGroupName: "rg-pay-dev-weu-monitoring",
        location: "global",
        accessModeSettings: { queryAccessMode: "PrivateOnly", ingestionAccessMode: "PrivateOnly" },
      });
    it("passes a private-only scope", () => expectPass(privateLinkScopeAccessMode, scope()));
    it("fails open query access", () =>
      expectFail(
        privateLinkScopeAccessMode,
        mutate(scope(), "accessModeSettings.queryAccessMode", "Open"),
        /ampls-pay-dev-weu .*accessModeSettings\.queryAccessMode "Open": set it to "PrivateOnly"/,
      ));
    it("fails open ingestion access", () =>
      expectFail(
        privateLinkScopeAccessMode,
        mutate(scope(), "accessModeSettings.ingestionAccessMode", "Open"),
        /accessModeSettings\.ingestionAccessMode "Open": set it to "PrivateOnly"/,
      ));
    const exclusion = (modes: Record<string, string>) =>
      mutate(scope(), "accessModeSettings.exclusions", [{ privateEndpointConnectionName: "pe-hub-ampls", ...modes }]);
    it("fails an exclusion that opens one private endpoint connection", async () => {
      await expectFail(
        privateLinkScopeAccessMode,
        exclusion({ queryAccessMode: "Open", ingestionAccessMode: "Open" }),
        /ampls-pay-dev-weu .*accessModeSettings\.exclusions\[0\] \(private endpoint connection "pe-hub-ampls"\) with queryAccessMode "Open", ingestionAccessMode "Open": set them to "PrivateOnly" or remove the exclusion/,
      );
      await expectFail(
        privateLinkScopeAccessMode,
        exclusion({ ingestionAccessMode: "Open" }),
        /exclusions\[0\] .* with ingestionAccessMode "Open":/,
      );
    });
    it("passes a private-only exclusion, or one that leaves a mode to the (private-only) default", async () => {
      await expectPass(privateLinkScopeAccessMode, exclusion({ queryAccessMode: "PrivateOnly" }));
      await expectPass(privateLinkScopeAccessMode, exclusion({}));
    });
    it("is undecided while an exclusion's mode is unknown during preview", () =>
      expectUndecided(privateLinkScopeAccessMode, exclusion({ queryAccessMode: UNKNOWN })));
    it("is not applicable to workspaces", () => expectNotApplicable(privateLinkScopeAccessMode, workspace()));
  });

  describe(activityLogExport.name, () => {
    const exportOf = (
      logs: unknown,
      workspaceId: unknown = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
    ) =>
      resourceRecord("azure-native:monitor:SubscriptionDiagnosticSetting", "operations-governance-activity-log", {
        name: "activity-log-to-workspace",
        ...(workspaceId === null ? {} : { workspaceId }),
        logs,
      });
    const all = ["Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy"].map(
      (category) => ({
        category,
        enabled: true,
      }),
    );
    it("passes the program's export (every category to the workspace)", () =>
      expectPass(activityLogExport, exportOf(all)));
    it("fails an export with Administrative, Security or Policy switched off, or without a workspace", async () => {
      await expectFail(
        activityLogExport,
        exportOf(all.map((l) => (l.category === "Security" || l.category === "Policy" ? { ...l, enabled: false } : l))),
        /operations-governance-activity-log .*does not export Security, Policy: enable them in logs/,
      );
      await expectFail(activityLogExport, exportOf(all, null), /sends the activity log to no Log Analytics workspace/);
    });
    it("is undecided while the categories are unknown during preview", () =>
      expectUndecided(activityLogExport, exportOf(UNKNOWN)));
    it("is not applicable to resource diagnostic settings", () => expectNotApplicable(activityLogExport, workspace()));
  });
});
