import { strict as assert } from "node:assert";
import { previewExitCode } from "../tools/lib/preview";
import {
  blocking,
  formatRetirements,
  parseDay,
  RETIREMENTS,
  retirementsJson,
  retirementsMarkdown,
  retirementsOf,
  type RetirementFinding,
} from "../tools/lib/retirements";
import { resourceRecord } from "../tools/lib/policyRunner";
import { previewOf } from "./helpers/stacks";

const record = (type: string, name: string, inputs: Record<string, unknown>) =>
  resourceRecord(type, name, inputs, { outputs: {} });
const ids = (findings: readonly RetirementFinding[]) => findings.map((f) => f.retirement.id);
const DEC_5 = parseDay("2026-12-05");

describe("retirements ahead: dated announcements against the stack's resources", function () {
  this.timeout(120_000);

  it("prod as of 2026-12-05: the ML sizes' capacity restriction, the Key Vault API in 84 days (every vault and key), Sentinel's portal, Node.js 22, the scoring and training sizes", async () => {
    const { run } = await previewOf("prod");
    const findings = retirementsOf(run.resources, DEC_5);
    assert.deepEqual(ids(findings), [
      "vm-capacity-restrictions",
      "keyvault-control-plane-api",
      "sentinel-azure-portal",
      "nodejs-22-end-of-life",
      "vm-dv2-dsv2-series",
      "vm-dv3-ev3-series",
    ]);
    const [restricted, vault, sentinel, node, vm, dv3] = findings;
    // Passed, listed only: both ML sizes are on the series Azure no longer grows.
    assert.ok(restricted.daysLeft < 0 && !blocking(restricted));
    assert.deepEqual(restricted.resources.map((r) => r.detail).sort(), [
      "output fraudScoring.deployment.instanceType: Standard_DS2_v2",
      "vmSize: STANDARD_D4S_V3",
    ]);
    assert.deepEqual(
      dv3.resources.map((r) => [r.name, r.detail]),
      [["ml-cluster", "vmSize: STANDARD_D4S_V3"]],
    );
    // prod's Sentinel (dev has none): the incident creation rule that stops running there, and the connector to swap.
    assert.deepEqual(sentinel.resources.map((r) => [r.name, r.detail]).sort(), [
      ["operations-rule-defender-incidents", "a Microsoft incident creation rule"],
      ["operations-sentinel-defender", "the subscription-based Defender for Cloud connector"],
    ]);
    assert.equal(vault.daysLeft, 84);
    assert.equal(vault.resources.length, 12, "4 vaults and 8 keys");
    assert.deepEqual(
      new Set(vault.resources.map((r) => r.detail)),
      new Set(["keyvault:Vault@2024-11-01", "keyvault:Key@2024-11-01"]),
    );
    assert.deepEqual(node.resources.map((r) => r.name).sort(), [
      "ingestion-fraud-app",
      "ingestion-payapi-app",
      "streaming-relay-app",
    ]);
    // The scoring deployment is created by the release pipeline from the stack's output; the training cluster's
    // Standard_D4s_v3 is not a Dv2/DSv2 size (a Dsv3 one: 2029-11-15).
    assert.deepEqual(
      vm.resources.map((r) => r.detail),
      ["output fraudScoring.deployment.instanceType: Standard_DS2_v2"],
    );
    assert.ok(!findings.some(blocking), "nothing that fails has passed yet");
  });

  it("dev: the training cluster's DS3_v2 (as Azure is sent it, upper case) and the scoring DS1_v2", async () => {
    const { run } = await previewOf("dev");
    const findings = retirementsOf(run.resources, DEC_5);
    // Dedicated nodes: no low-priority finding (retired for Azure ML); both sizes on the capacity-restricted series.
    assert.ok(!ids(findings).includes("ml-low-priority-vms"));
    assert.equal(findings.find((f) => f.retirement.id === "vm-capacity-restrictions")?.resources.length, 2);
    const vm = findings.find((f) => f.retirement.id === "vm-dv2-dsv2-series");
    assert.deepEqual(vm?.resources.map((r) => r.detail).sort(), [
      "output fraudScoring.deployment.instanceType: Standard_DS1_v2",
      "vmSize: STANDARD_DS3_V2",
    ]);
  });

  it("fails the preview from the day a deploy fails or a service stops, never for an end of support", async () => {
    const { run } = await previewOf("prod");
    const on = (day: string) => retirementsOf(run.resources, parseDay(day));
    assert.deepEqual(on("2027-02-26").filter(blocking), []);
    const due = on("2027-02-27").filter(blocking);
    assert.deepEqual(ids(due), ["keyvault-control-plane-api"]);
    assert.equal(due[0].daysLeft, 0);
    // Node.js 22's end of life has passed by then: listed, not failing; so is the capacity restriction.
    assert.ok(on("2027-06-01").find((f) => f.retirement.id === "vm-capacity-restrictions")!.daysLeft < 0);
    const june = on("2027-06-01");
    assert.ok(june.find((f) => f.retirement.id === "nodejs-22-end-of-life")!.daysLeft < 0);
    assert.deepEqual(ids(june.filter(blocking)), ["keyvault-control-plane-api", "sentinel-azure-portal"]);
    assert.deepEqual(
      ids(on("2027-03-31").filter(blocking)),
      ["keyvault-control-plane-api"],
      "Sentinel: from April 1st",
    );
    assert.deepEqual(ids(on("2028-05-01").filter(blocking)), [
      "keyvault-control-plane-api",
      "sentinel-azure-portal",
      "vm-dv2-dsv2-series",
    ]);
    // The exit code follows the passed, blocking ones.
    const verdict = { stack: "prod", resourceCount: 0, policies: [], violations: [], exemptions: [], evaluated: {} };
    assert.equal(previewExitCode(verdict, { errors: [] }, [], [], due), 1);
    assert.equal(previewExitCode(verdict, { errors: [] }, [], [], []), 0);
  });

  it("matches what retires and nothing else (hand-made resources)", () => {
    const app = (version: string) =>
      record("azure-native:web:WebApp", `app-${version}`, {
        functionAppConfig: { runtime: { name: "node", version } },
      });
    const compute = (vmSize: string, vmPriority = "Dedicated") =>
      record("azure-native:machinelearningservices:Compute", `${vmSize}-${vmPriority}`, {
        properties: { properties: { vmSize, vmPriority } },
      });
    const found = retirementsOf(
      [
        app("20"),
        app("24"),
        record("azure-native:web:WebApp", "python", {
          functionAppConfig: { runtime: { name: "python", version: "22" } },
        }),
        compute("Standard_DS11_v2"),
        compute("Standard_DS13-4_v2"),
        compute("Standard_D16"),
        compute("Standard_D2_v2_Promo"),
        compute("Standard_D4s_v3"),
        compute("Standard_D2as_v5"),
        compute("STANDARD_DS2_V2"),
        compute("Standard_L8s"),
        compute("Standard_L8s_v3"),
        // The F, Fs, Fsv2, Lsv2, Gs, Av2, Amv2 and B series (2028-11-15), and sizes of their names that do not retire.
        compute("Standard_F4"),
        compute("Standard_F8s"),
        compute("Standard_F16s_v2"),
        compute("Standard_L16s_v2"),
        compute("Standard_GS4-8"),
        compute("Standard_A4m_v2"),
        compute("Standard_B2ms"),
        compute("Standard_B1ls"),
        compute("Standard_B2s_v2"),
        compute("Standard_B2als_v2"),
        compute("Standard_F4s_v6"),
        compute("Standard_F2als_v6"),
        // Dv3, Dsv3, Ev3, Esv3 (2029-11-15, with Standard_D4s_v3 above), and v4/v5 sizes of similar names that do not.
        compute("Standard_D8_v3"),
        compute("Standard_E64-16s_v3"),
        compute("Standard_E64is_v3"),
        compute("Standard_D4as_v4"),
        compute("Standard_D4ds_v4"),
        compute("Standard_E4s_v5"),
        compute("Standard_G5"),
        // A low-priority cluster (retired for Azure ML on 2026-03-31: its nodes are Spot VMs now).
        compute("Standard_D4as_v5", "LowPriority"),
        record("azure-native:storage:StorageAccount", "st", { kind: "StorageV2" }),
        // An NSG flow log (retiring), and the VNet flow log that replaces it (not).
        record("azure-native:network:FlowLog", "nsg-fl", {
          targetResourceId:
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-pay-dev-weu-app",
        }),
        record("azure-native:network:FlowLog", "vnet-fl", {
          targetResourceId:
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-pay-dev-weu",
        }),
      ],
      DEC_5,
    );
    // Soonest first; Node.js 24's end and the VM series' retirement fall on the same day (then by id).
    assert.deepEqual(ids(found), [
      "ml-low-priority-vms",
      "nodejs-20-end-of-life",
      "vm-capacity-restrictions",
      "nsg-flow-logs",
      "nodejs-24-end-of-life",
      "vm-dv2-dsv2-series",
      "vm-f-b-series",
      "vm-dv3-ev3-series",
    ]);
    const nsgLogs = found.find((f) => f.retirement.id === "nsg-flow-logs");
    assert.deepEqual(
      nsgLogs?.resources.map((r) => [r.name, r.detail]),
      [["nsg-fl", "flow log of NSG nsg-pay-dev-weu-app"]],
    );
    assert.deepEqual(
      found[0].resources.map((r) => [r.name, r.detail]),
      [["Standard_D4as_v5-LowPriority", "a low-priority training cluster"]],
    );
    assert.ok(found[0].daysLeft < 0 && !blocking(found[0]), "low-priority VMs: past, listed only (the cluster runs)");
    assert.ok(found[1].daysLeft < 0 && !blocking(found[1]), "Node.js 20: past, an end of support only");
    assert.ok(found[2].daysLeft < 0 && !blocking(found[2]), "capacity restrictions: past, listed only");
    const sizes = (id: string) => found.find((f) => f.retirement.id === id)?.resources.map((r) => r.detail);
    assert.deepEqual(sizes("vm-dv2-dsv2-series"), [
      "vmSize: Standard_DS11_v2",
      "vmSize: Standard_DS13-4_v2",
      "vmSize: Standard_D16",
      "vmSize: Standard_D2_v2_Promo",
      "vmSize: STANDARD_DS2_V2",
      "vmSize: Standard_L8s",
    ]);
    assert.deepEqual(sizes("vm-f-b-series"), [
      "vmSize: Standard_F4",
      "vmSize: Standard_F8s",
      "vmSize: Standard_F16s_v2",
      "vmSize: Standard_L16s_v2",
      "vmSize: Standard_GS4-8",
      "vmSize: Standard_A4m_v2",
      "vmSize: Standard_B2ms",
      "vmSize: Standard_B1ls",
    ]);
    assert.deepEqual(sizes("vm-dv3-ev3-series"), [
      "vmSize: Standard_D4s_v3",
      "vmSize: Standard_D8_v3",
      "vmSize: Standard_E64-16s_v3",
      "vmSize: Standard_E64is_v3",
    ]);
    // The restriction: every retiring series above, and G; not the v4, v5 or later sizes, nor the Bsv2 family.
    const restricted = sizes("vm-capacity-restrictions") ?? [];
    assert.equal(restricted.length, 6 + 8 + 4 + 1);
    for (const kept of ["D4as_v4", "D4ds_v4", "E4s_v5", "D4as_v5", "B2s_v2", "F4s_v6", "L8s_v3"])
      assert.ok(!restricted.some((d) => d.endsWith(`Standard_${kept}`)), kept);
    assert.ok(restricted.includes("vmSize: Standard_G5"));
  });

  it("prints and reports each finding with its date, its days left, the resources, the fix and the source", async () => {
    const { run } = await previewOf("prod");
    const day = parseDay("2027-02-27");
    const findings = retirementsOf(run.resources, day);
    const text = formatRetirements(findings, day);
    assert.match(text, /^Retirements ahead \(.*as of 2027-02-27\): 6$/m);
    assert.match(
      text,
      /^ {4}· 2026-07-01 \(passed, capacity restricted\) \[vm-capacity-restrictions\]: Azure stops growing/m,
    );
    assert.match(text, /^ {4}✗ 2027-02-27 \(today, deploys fail\) \[keyvault-control-plane-api\]/m);
    assert.match(text, /^ {4}· 2027-05-01 \(in 63 days, end of support\) \[nodejs-22-end-of-life\]/m);
    assert.match(text, /^ {4}! 2028-05-01 \(in 429 days, the service stops\)/m);
    assert.match(text, /source: https:\/\/learn\.microsoft\.com\/azure\/key-vault\/general\/migrate-api-version/);
    const md = retirementsMarkdown(findings, day);
    assert.match(md, /^\| 2027-02-27 \| ❌ today \| deploys fail \| \[Key Vault control-plane API/m);
    assert.equal(md.split("\n").filter((l) => l.startsWith("| 20")).length, 6);
    assert.match(md, /^\| 2026-07-01 \| passed \| capacity restricted \| /m);
    const json = retirementsJson(findings, day);
    assert.equal(json.asOf, "2027-02-27");
    assert.deepEqual(
      json.findings.map((f) => [f.id, f.daysLeft, f.blocking]),
      [
        ["vm-capacity-restrictions", -241, false],
        ["keyvault-control-plane-api", 0, true],
        ["sentinel-azure-portal", 33, false],
        ["nodejs-22-end-of-life", 63, false],
        ["vm-dv2-dsv2-series", 429, false],
        ["vm-dv3-ev3-series", 993, false],
      ],
    );
    assert.equal(
      formatRetirements([], DEC_5),
      "Retirements ahead (dated announcements matched against the stack, as of 2026-12-05): none",
    );
  });

  it("every entry is dated, sourced with a quote from its page, and says what to change", () => {
    const seen = new Set<string>();
    for (const r of RETIREMENTS) {
      assert.ok(!seen.has(r.id), r.id);
      seen.add(r.id);
      assert.equal(parseDay(r.date).toISOString().slice(0, 10), r.date, r.id);
      assert.match(r.source.url, /^https:\/\/(learn\.microsoft\.com|github\.com\/Azure)\//, r.id);
      assert.ok(r.source.quote.length > 60 && r.fix.length > 40 && r.what.length > 40, r.id);
    }
  });

  it("reads dates as YYYY-MM-DD only (the --on option)", () => {
    assert.equal(parseDay("2028-02-29").toISOString(), "2028-02-29T00:00:00.000Z");
    for (const bad of ["2027-02-29", "2027-2-1", "27-02-01", "2027-02-01T00:00:00Z", "tomorrow"])
      assert.throws(() => parseDay(bad), /not a date \(YYYY-MM-DD\)/, bad);
  });
});
