/**
 * The Azure Machine Learning core quota a stack needs, per VM family and region, from the same resource inputs the
 * estimator prices: what to request before the first model release (docs/capacity.md, "Azure ML quota").
 *
 * - A managed online deployment of n instances needs quota for `ceil(1.2 × n) × cores`: "Azure Machine Learning
 *   reserves 20% of your compute resources for performing upgrades on some VM SKUs. If you request a given number of
 *   instances for those VM SKUs in a deployment, you must have a quota for `ceil(1.2 * number of instances requested
 *   for deployment) * number of cores for the VM SKU`" (MicrosoftDocs/azure-ai-docs, quota-allocation-online-deployment;
 *   the sizes this stack uses are not among the exempt SKUs of reference-managed-online-endpoints-vm-sku-list).
 * - The release (docs/ml-operations.md) creates `green` beside `blue` at the same size before moving the traffic: two
 *   deployments' quota at once.
 * - A compute cluster holds its maximum nodes × cores at full scale.
 * Pure; unit-tested.
 */
import type { ResourceRecord } from "../policyRunner";
import { num, scoringDeploymentOf, str } from "./model";
import { sdkTypeOf } from "../sdkType";

const AN = "azure-native";

/** vCPUs and quota family of the VM sizes a stack may use (Microsoft's Dv2/DSv2 and Dv3/Dsv3 series pages). */
export const VM_SPECS: Readonly<Record<string, { readonly cores: number; readonly family: string }>> = {
  standard_ds1_v2: { cores: 1, family: "Standard DSv2 Family" },
  standard_ds2_v2: { cores: 2, family: "Standard DSv2 Family" },
  standard_ds3_v2: { cores: 4, family: "Standard DSv2 Family" },
  standard_ds4_v2: { cores: 8, family: "Standard DSv2 Family" },
  standard_ds5_v2: { cores: 16, family: "Standard DSv2 Family" },
  standard_d1_v2: { cores: 1, family: "Standard Dv2 Family" },
  standard_d2_v2: { cores: 2, family: "Standard Dv2 Family" },
  standard_d3_v2: { cores: 4, family: "Standard Dv2 Family" },
  standard_d4_v2: { cores: 8, family: "Standard Dv2 Family" },
  standard_d2s_v3: { cores: 2, family: "Standard DSv3 Family" },
  standard_d4s_v3: { cores: 4, family: "Standard DSv3 Family" },
  standard_d8s_v3: { cores: 8, family: "Standard DSv3 Family" },
  standard_d16s_v3: { cores: 16, family: "Standard DSv3 Family" },
  standard_d2_v3: { cores: 2, family: "Standard Dv3 Family" },
  standard_d4_v3: { cores: 4, family: "Standard Dv3 Family" },
  standard_d8_v3: { cores: 8, family: "Standard Dv3 Family" },
};

/** The quota of low-priority cores: one per region, whatever the family. */
export const LOW_PRIORITY = "Low-priority cores";
/** The regional total of dedicated cores, a quota of its own beside each family's ("split by each VM family and cumulative total cores"). */
export const TOTAL_DEDICATED = "Total dedicated cores";

/** A VM size's cores and family, matched without case (Azure returns sizes upper-cased); undefined when unknown. */
export const vmSpec = (size: string | undefined) => (size ? VM_SPECS[size.toLowerCase()] : undefined);

/** The quota one resource needs: standing (what it holds day to day) and at its peak. */
export interface QuotaRow {
  readonly resource: string;
  readonly size: string;
  readonly region: string;
  /** The quota's VM family, undefined for a size this table does not know (then the cores are undefined too). */
  readonly family?: string;
  readonly standingCores?: number;
  readonly peakCores?: number;
  readonly basis: string;
}

/** Cores of a managed online deployment of `instances` instances: ceil(1.2 × n) × cores. */
export const onlineDeploymentCores = (instances: number, cores: number) => Math.ceil((6 * instances) / 5) * cores;

/** The Azure ML quota rows of a stack: its scoring deployments (declared, or released at the size it states) and clusters. */
export function mlQuotas(resources: readonly ResourceRecord[]): QuotaRow[] {
  const of = (t: string) => resources.filter((r) => sdkTypeOf(r) === `${AN}:machinelearningservices:${t}`);
  const regionOf = (r: ResourceRecord) => str(r.inputs, "location") ?? "the workspace's region";
  const rows: QuotaRow[] = [];
  const deployments = [
    ...of("OnlineDeployment").map((d) => ({
      r: d,
      size: str(d.inputs, "properties.instanceType"),
      n: num(d.inputs, "properties.scaleSettings.maxInstances") ?? num(d.inputs, "sku.capacity") ?? 1,
    })),
    ...of("OnlineEndpoint").flatMap((e) => {
      const d = scoringDeploymentOf(e, resources);
      return d ? [{ r: e, size: d.instanceType, n: d.instanceCount }] : [];
    }),
  ];
  for (const { r, size, n } of deployments) {
    const spec = vmSpec(size);
    const standing = spec ? onlineDeploymentCores(n, spec.cores) : undefined;
    rows.push({
      resource: `${r.name} (scoring, ${n} instance${n === 1 ? "" : "s"})`,
      size: size ?? "?",
      region: regionOf(r),
      family: spec?.family,
      standingCores: standing,
      peakCores: standing === undefined ? undefined : 2 * standing,
      basis: spec
        ? `ceil(1.2 × ${n}) × ${spec.cores} core${spec.cores === 1 ? "" : "s"} (Azure ML's 20 % reserve); twice that while a release runs green beside blue`
        : `${size ?? "?"}: cores and family unknown here (tools/lib/cost/quotas.ts VM_SPECS)`,
    });
  }
  for (const c of of("Compute")) {
    if (str(c.inputs, "properties.computeType") !== "AmlCompute") continue;
    const size = str(c.inputs, "properties.properties.vmSize");
    const spec = vmSpec(size);
    const min = num(c.inputs, "properties.properties.scaleSettings.minNodeCount") ?? 0;
    const max = num(c.inputs, "properties.properties.scaleSettings.maxNodeCount") ?? 0;
    const lowPriority = str(c.inputs, "properties.properties.vmPriority") === "LowPriority";
    rows.push({
      resource: `${c.name} (training cluster, ${min}–${max} nodes)`,
      size: size ?? "?",
      region: regionOf(c),
      family: spec ? (lowPriority ? LOW_PRIORITY : spec.family) : undefined,
      standingCores: spec ? min * spec.cores : undefined,
      peakCores: spec ? max * spec.cores : undefined,
      basis: spec
        ? `${max} node${max === 1 ? "" : "s"} × ${spec.cores} core${spec.cores === 1 ? "" : "s"} at full scale${lowPriority ? " (low-priority: the region's low-priority quota, not the family's)" : ""}`
        : `${size ?? "?"}: cores and family unknown here (tools/lib/cost/quotas.ts VM_SPECS)`,
    });
  }
  return rows;
}

/**
 * The peak cores per quota and region, a release and a full cluster at once (what to request): each VM family's, the
 * region's total of dedicated cores (all families together), and low-priority cores.
 */
export function quotaTotals(rows: readonly QuotaRow[]): { family: string; region: string; cores: number }[] {
  const totals = new Map<string, { family: string; region: string; cores: number }>();
  const add = (family: string, region: string, cores: number) => {
    const key = `${family}\0${region}`;
    const t = totals.get(key) ?? { family, region, cores: 0 };
    t.cores += cores;
    totals.set(key, t);
  };
  for (const r of rows) {
    if (r.family === undefined || r.peakCores === undefined) continue;
    add(r.family, r.region, r.peakCores);
  }
  for (const r of rows)
    if (r.family !== undefined && r.family !== LOW_PRIORITY && r.peakCores !== undefined)
      add(TOTAL_DEDICATED, r.region, r.peakCores);
  return [...totals.values()];
}

/** docs/capacity.md's table of a stack's Azure ML quota. */
export function quotaMarkdown(rows: readonly QuotaRow[]): string {
  if (rows.length === 0) return "No Azure ML compute or scoring deployment.";
  const n = (v?: number) => (v === undefined ? "not known" : String(v));
  const table = [
    "| Resource | VM size | Quota (family, region) | Cores standing | Cores at peak | Basis |",
    "|---|---|---|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.resource} | ${r.size} | ${r.family ?? "not known"}, ${r.region} | ${n(r.standingCores)} | ${n(r.peakCores)} | ${r.basis} |`,
    ),
  ].join("\n");
  const totals = quotaTotals(rows);
  const unknown = rows.filter((r) => r.peakCores === undefined).map((r) => r.resource);
  return `${table}\n\nRequest at least: ${
    totals.length
      ? totals
          .map((t) =>
            t.family === TOTAL_DEDICATED
              ? `**${t.cores}** total dedicated cores in ${t.region}`
              : `**${t.cores} cores** of ${t.family} in ${t.region}`,
          )
          .join(", ")
      : "nothing known"
  }${unknown.length ? ` (and what ${unknown.join(", ")} need${unknown.length === 1 ? "s" : ""}: size not in the table)` : ""}.`;
}
