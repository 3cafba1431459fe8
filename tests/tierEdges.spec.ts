/**
 * Edges of the ingestion, streaming, ETL and operations tiers that a mutation audit found unasserted: settings a
 * user or an auditor relies on (WAF enforcement, diagnostics, alert timing and validation, deployment order) that
 * could change without any other spec failing.
 */
import { strict as assert } from "node:assert";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { byName, input, previewOf } from "./helpers/stacks";

for (const stack of ["dev", "prod"] as const) {
  describe(`tier edges (${stack})`, () => {
    const prod = stack === "prod";
    let resources: ResourceRecord[];
    const one = (name: string) => byName(resources, name);
    const dependsDirectly = (later: string, earlier: string) =>
      assert.ok(one(later).dependencies.includes(one(earlier).urn), `${later} waits directly for ${earlier}`);

    before(async () => {
      resources = (await previewOf(stack)).run.resources;
    });

    describe("ingestion", () => {
      it("the WAF enforces its request body and file upload limits (Prevention alone does not block oversized bodies)", () => {
        const waf = one("ingestion-waf");
        const { logScrubbing, ...settings } = input(waf, "policySettings") as Record<string, unknown>;
        assert.ok(logScrubbing, "log scrubbing (tests/ingestion.spec.ts checks its rules)");
        assert.deepEqual(
          settings,
          {
            state: "Enabled",
            mode: "Prevention",
            requestBodyCheck: true,
            requestBodyEnforcement: true,
            requestBodyInspectLimitInKB: 128,
            maxRequestBodySizeInKb: 128,
            fileUploadEnforcement: true,
            fileUploadLimitInMb: 1,
          },
          "WAF policy settings: limits of 128 KB bodies and 1 MB uploads, enforced",
        );
      });

      it("the merchant refresh alert is evaluated every 5 minutes over its 15-minute window, on one failing period", () => {
        const alert = one("ingestion-merchant-refresh-alert");
        assert.equal(alert.inputs.evaluationFrequency, "PT5M", "evaluated every 5 minutes");
        assert.equal(alert.inputs.windowSize, "PT15M", "over 15 minutes");
        const crit = input(alert, "criteria.allOf.0") as Record<string, unknown>;
        assert.deepEqual(
          [crit.timeAggregation, crit.metricMeasureColumn, crit.failingPeriods],
          ["Total", "Runs", { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }],
          "the total of successful runs, one failing evaluation suffices",
        );
      });
    });

    describe("function app hosting (every tier's apps)", () => {
      const apps = ["ingestion-payapi", "ingestion-fraud", "streaming-relay"];

      it("starts each app only after its identity holds the host storage roles (the host reads its package at start)", () => {
        for (const app of apps)
          for (const role of ["blob-data-owner", "table-data-contributor"])
            dependsDirectly(`${app}-app`, `${app}-st-ra-${role}`);
      });
    });

    describe("etl", () => {
      it("creates the factory's private endpoints one after the other (API first, then Studio)", () => {
        dependsDirectly("etl-factory-api-pep", "etl-factory");
        dependsDirectly("etl-factory-portal-pep", "etl-factory-api-pep");
      });

      it("the schema deployment's linked services wait for the deployment identity's SQL admin membership", () => {
        const deploy = resources.filter((r) => /^etl-ls-.+-deploy$/.test(r.name));
        assert.ok(deploy.length > 0, "the deployment linked services exist");
        for (const ls of deploy) {
          dependsDirectly(ls.name, "etl-deploy-identity-sql-admin");
          dependsDirectly(ls.name, "etl-deploy-credential");
        }
      });
    });

    describe("operations", () => {
      it("Resource Health pages on platform-initiated Unavailable and Degraded transitions alike", () => {
        const rh = one("operations-resource-health");
        assert.deepEqual(
          input(rh, "condition.allOf"),
          [
            { field: "category", equals: "ResourceHealth" },
            {
              anyOf: [
                { field: "properties.currentHealthStatus", equals: "Unavailable" },
                { field: "properties.currentHealthStatus", equals: "Degraded" },
              ],
            },
            { anyOf: [{ field: "properties.cause", equals: "PlatformInitiated" }] },
          ],
          "a degraded data store or geo-secondary pages too, not only an unavailable one",
        );
      });

      it("every log alert skips query validation (a new workspace has none of its tables: the first deploy would fail)", () => {
        const rules = resources.filter((r) => r.type === "azure-native:monitor:ScheduledQueryRule");
        assert.ok(rules.length > 5, "the stack has log alerts");
        for (const r of rules) assert.equal(r.inputs.skipQueryValidation, true, `${r.name}: skipQueryValidation`);
      });
    });

    describe("streaming", () => {
      it(`${prod ? "creates the Premium namespace only after its identity's grant on the key has propagated (CMK is checked at creation)" : "the Standard namespace has no key to wait for"}`, () => {
        const grant = "platform-cmk-event-hubs-grant-propagation";
        if (!prod) return assert.ok(!one("streaming-evhns").dependencies.includes(one(grant).urn), "dev: no CMK wait");
        dependsDirectly("streaming-evhns", grant);
      });

      it("the job exports its metrics to the workspace: the watermark alert reads them from AzureMetrics", () => {
        const diag = one("streaming-job-diag");
        assert.equal(diag.inputs.resourceUri, one("streaming-job").id, "diagnostic setting on the job");
        assert.equal(diag.inputs.workspaceId, one("platform-log").id, "sent to the platform workspace");
        assert.deepEqual(diag.inputs.metrics, [{ category: "AllMetrics", enabled: true }], "AllMetrics exported");
        assert.match(String(input(one("streaming-watermark-alert"), "criteria.allOf.0.query")), /^AzureMetrics\n/);
      });

      it("the watermark alert looks at the last 5 minutes every minute and fires on one failing period", () => {
        const alert = one("streaming-watermark-alert");
        assert.deepEqual(
          [alert.inputs.evaluationFrequency, alert.inputs.windowSize, input(alert, "criteria.allOf.0.failingPeriods")],
          ["PT1M", "PT5M", { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }],
          "a 5-minute SLA breach is seen within a minute",
        );
      });

      it("the freshness alert counts only the loader's committed-batch lines ('inserted N of M rows')", () => {
        const query = String(input(one("streaming-freshness-alert"), "criteria.allOf.0.query"));
        assert.match(query, /OperationName == "loadApiPerformance" and Message startswith "inserted "/);
      });

      it("the job storage's private endpoint comes after its blob service settings (one operation per account)", () => {
        dependsDirectly("streaming-st-blob-pep", "streaming-st-blob");
      });

      it("the relay starts once the namespace's private DNS exists (its Event Hubs binding connects at start-up)", () => {
        dependsDirectly("streaming-relay-app", "streaming-evhns-pep-dns");
      });
    });
  });
}
