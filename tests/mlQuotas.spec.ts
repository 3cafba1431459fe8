/**
 * The Azure ML quota a stack needs before its first model release (docs/capacity.md, "Azure ML quota to request"):
 * the 20 % reserve of managed online deployments, the release's second deployment, the cluster at full scale, and the
 * committed stacks' figures.
 */
import { strict as assert } from "node:assert";
import { mlQuotas, onlineDeploymentCores, quotaMarkdown, quotaTotals, vmSpec } from "../tools/lib/cost/quotas";
import { resourceRecord, type ResourceRecord } from "../tools/lib/policyRunner";
import { previewOf } from "./helpers/stacks";

const ML = "azure-native:machinelearningservices";

const cluster = (vmSize: string, maxNodeCount: number, vmPriority = "Dedicated", minNodeCount = 0) =>
  resourceRecord(`${ML}:Compute`, "cluster", {
    location: "westeurope",
    properties: {
      computeType: "AmlCompute",
      properties: { vmSize, vmPriority, scaleSettings: { minNodeCount, maxNodeCount } },
    },
  });
const deployment = (instanceType: string, maxInstances: number) =>
  resourceRecord(`${ML}:OnlineDeployment`, "blue", {
    location: "westeurope",
    properties: { instanceType, scaleSettings: { maxInstances } },
  });

describe("Azure ML quota (tools/lib/cost/quotas.ts)", () => {
  it("a managed online deployment holds ceil(1.2 × instances) × cores, twice that during a release", () => {
    // Microsoft's example: 10 × Standard_DS3_v2 (4 cores) needs 48 cores.
    assert.equal(onlineDeploymentCores(10, 4), 48);
    assert.equal(onlineDeploymentCores(3, 2), 8);
    // 1.2 × 5 is 6.000000000000001 in floating point: exactly 6 instances with the reserve, not 7.
    assert.equal(onlineDeploymentCores(5, 2), 12);
    for (let n = 1; n <= 1000; n++) assert.equal(onlineDeploymentCores(n, 1), Math.ceil((12 * n) / 10), `n = ${n}`);
    assert.equal(onlineDeploymentCores(1, 1), 2);
    const [row] = mlQuotas([deployment("Standard_DS2_v2", 3)]);
    assert.deepEqual(
      [row.family, row.region, row.standingCores, row.peakCores],
      ["Standard DSv2 Family", "westeurope", 8, 16],
    );
  });

  it("a declared deployment's size comes from its scale settings, else its SKU capacity, else one instance", () => {
    const withSku = resourceRecord(`${ML}:OnlineDeployment`, "green", {
      location: "westeurope",
      properties: { instanceType: "Standard_DS3_v2" },
      sku: { capacity: 4 },
    });
    const bare = resourceRecord(`${ML}:OnlineDeployment`, "bare", { properties: { instanceType: "Standard_DS2_v2" } });
    const [sku, one] = mlQuotas([withSku, bare]);
    assert.deepEqual([sku.standingCores, sku.peakCores], [20, 40], "ceil(4.8) = 5 instances × 4 cores");
    assert.deepEqual(
      [one.resource, one.standingCores, one.region],
      ["bare (scoring, 1 instance)", 4, "the workspace's region"],
    );
  });

  it("a cluster holds its minimum nodes standing and its maximum at full scale; low priority is its own quota", () => {
    const [dedicated] = mlQuotas([cluster("STANDARD_D4S_V3", 8, "Dedicated", 1)]);
    assert.deepEqual([dedicated.family, dedicated.standingCores, dedicated.peakCores], ["Standard DSv3 Family", 4, 32]);
    const [low] = mlQuotas([cluster("Standard_DS3_v2", 2, "LowPriority")]);
    assert.deepEqual([low.family, low.standingCores, low.peakCores], ["Low-priority cores", 0, 8]);
  });

  it("adds the peaks per family and region, and names a size it does not know instead of counting it as zero", () => {
    const rows = mlQuotas([
      deployment("Standard_DS2_v2", 3),
      cluster("Standard_DS3_v2", 4),
      cluster("Standard_NC6s_v3", 2),
    ]);
    assert.deepEqual(quotaTotals(rows), [
      { family: "Standard DSv2 Family", region: "westeurope", cores: 16 + 16 },
      { family: "Total dedicated cores", region: "westeurope", cores: 32 },
    ]);
    const unknown = rows[2];
    assert.equal(unknown.peakCores, undefined);
    assert.match(unknown.basis, /Standard_NC6s_v3: cores and family unknown here/);
    assert.match(quotaMarkdown(rows), /\| not known \| not known \|/);
    assert.match(
      quotaMarkdown(rows),
      /Request at least: \*\*32 cores\*\* of Standard DSv2 Family in westeurope, \*\*32\*\* total dedicated cores in westeurope \(and what cluster \(training cluster, 0–2 nodes\) needs: size not in the table\)\./,
    );
    assert.equal(vmSpec(undefined), undefined);
    assert.equal(quotaMarkdown([]), "No Azure ML compute or scoring deployment.");
  });

  it("the committed stacks: prod 16 DSv2 cores for scoring releases and 32 DSv3 for training; dev 12 DSv2", async function () {
    this.timeout(120_000);
    const totals = async (stack: "dev" | "prod") => {
      const resources: readonly ResourceRecord[] = (await previewOf(stack)).run.resources;
      return quotaTotals(mlQuotas(resources)).map((t) => `${t.cores} ${t.family} ${t.region}`);
    };
    // Each family's peak, and the region's total of dedicated cores (a quota of its own, default as low as 24).
    assert.deepEqual(await totals("prod"), [
      "16 Standard DSv2 Family westeurope",
      "32 Standard DSv3 Family westeurope",
      "48 Total dedicated cores westeurope",
    ]);
    // dev's cluster is dedicated too: its 8 cores join the scoring release's 4 in the family and the region's total.
    assert.deepEqual(await totals("dev"), [
      "12 Standard DSv2 Family westeurope",
      "12 Total dedicated cores westeurope",
    ]);
  });
});
