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
    assert.equal(onlineDeploymentCores(5, 2), 12, "exactly 6 instances with the reserve: no rounding up past it");
    assert.equal(onlineDeploymentCores(1, 1), 2);
    const [row] = mlQuotas([deployment("Standard_DS2_v2", 3)]);
    assert.deepEqual(
      [row.family, row.region, row.standingCores, row.peakCores],
      ["Standard DSv2 Family", "westeurope", 8, 16],
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
    assert.deepEqual(quotaTotals(rows), [{ family: "Standard DSv2 Family", region: "westeurope", cores: 16 + 16 }]);
    const unknown = rows[2];
    assert.equal(unknown.peakCores, undefined);
    assert.match(unknown.basis, /Standard_NC6s_v3: cores and family unknown here/);
    assert.match(quotaMarkdown(rows), /\| not known \| not known \|/);
    assert.match(
      quotaMarkdown(rows),
      /Request at least: \*\*32 cores\*\* of Standard DSv2 Family in westeurope \(and what cluster \(training cluster, 0–2 nodes\) needs: size not in the table\)\./,
    );
    assert.equal(vmSpec(undefined), undefined);
    assert.equal(quotaMarkdown([]), "No Azure ML compute or scoring deployment.");
  });

  it("the committed stacks: prod 16 DSv2 cores for scoring releases and 32 DSv3 for training; dev 4 and 8 low-priority", async function () {
    this.timeout(120_000);
    const totals = async (stack: "dev" | "prod") => {
      const resources: readonly ResourceRecord[] = (await previewOf(stack)).run.resources;
      return quotaTotals(mlQuotas(resources)).map((t) => `${t.cores} ${t.family} ${t.region}`);
    };
    assert.deepEqual(await totals("prod"), [
      "16 Standard DSv2 Family westeurope",
      "32 Standard DSv3 Family westeurope",
    ]);
    assert.deepEqual(await totals("dev"), ["4 Standard DSv2 Family westeurope", "8 Low-priority cores westeurope"]);
  });
});
