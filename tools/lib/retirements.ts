/**
 * Retirements ahead: dated announcements (Microsoft's, or a runtime's maintainers') that something this stack declares
 * stops working or stops being supported on a given day, matched against the stack's own resources. The offline
 * preview lists each one with the days left, and fails once a date has passed when the effect is a failed deploy or a
 * stopped service (the real `pulumi up` would fail or the service would be gone); an end of support or a capacity
 * restriction is listed only.
 * Each entry quotes its source; add one when Microsoft announces a retirement that touches a type, API version, SKU or
 * runtime the program uses (docs/operations.md, "Retirements ahead").
 */
import { apiVersionOf } from "./armSchema/identity";
import { parseDay } from "./day";
import { at } from "./hazards";
import type { ResourceRecord } from "./policyRunner";
import { sdkTypeOf } from "./sdkType";

/** What happens on the date. */
export type RetirementEffect =
  /** Resource Manager refuses the requests Pulumi sends (create, read, update): no refresh or update goes through. */
  | "deploy-fails"
  /** The service stops (deallocated, no longer served): what runs on it is down. */
  | "stops"
  /** It keeps running but gets no security fixes or support (a PCI DSS 6.3.3 / 12.3.4 finding), nothing fails. */
  | "unsupported"
  /**
   * Azure stops growing its capacity: a new subscription cannot deploy it, no more quota is granted, and a deployment
   * within the quota may still fail for want of capacity; what runs keeps running.
   */
  | "restricted";

export interface Retirement {
  readonly id: string;
  /** The first day (UTC, YYYY-MM-DD) on which the effect applies. */
  readonly date: string;
  readonly effect: RetirementEffect;
  /** What retires, in one line. */
  readonly what: string;
  readonly source: { readonly url: string; readonly quote: string };
  /** What to change, and where. */
  readonly fix: string;
  /** What of `r` retires (e.g. `Microsoft.KeyVault/vaults@2024-11-01`), or undefined when `r` is not affected. */
  readonly matches: (r: ResourceRecord) => readonly string[];
  /**
   * The (ARM type, API version) pairs the fix moves the affected resources to: `npm run schemas:vendor` vendors their
   * schemas ahead of the fix, so the offline preview validates the fixed resources' bodies the day the fix lands
   * instead of failing on a missing schema (tests/armSchema.spec.ts checks today's inputs against them).
   */
  readonly fixedBy?: readonly { readonly armType: string; readonly version: string }[];
}

export interface RetirementFinding {
  readonly retirement: Retirement;
  readonly resources: readonly { readonly name: string; readonly urn: string; readonly detail: string }[];
  /** Whole days from `today` to the date: negative once it has passed, 0 on the day. */
  readonly daysLeft: number;
}

const DAY = 86_400_000;
const utcDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());

export { parseDay };

/** The ARM type of an azure-native type token's module, for messages (`azure-native:keyvault:Vault` → `keyvault:Vault`). */
const short = (type: string) => type.replace(/^azure-native:/, "");

/**
 * Node.js majors and the day after their end of life (nodejs/Release, schedule.json: v20 "end": "2026-04-30",
 * v22 "end": "2027-04-30", v24 "end": "2028-04-30"). Azure Functions follows them: "For most language versions, the
 * retirement date coincides with the community end-of-life date" (Microsoft Learn, "Language runtime support policy").
 */
export const NODE_END_OF_LIFE: Readonly<Record<string, string>> = {
  "20": "2026-05-01",
  "22": "2027-05-01",
  "24": "2028-05-01",
};

/** A function app's language runtime (Flex Consumption's `functionAppConfig.runtime`). */
function nodeRuntime(r: ResourceRecord): string | undefined {
  if (sdkTypeOf(r) !== "azure-native:web:WebApp") return undefined;
  const name = at(r.inputs, "functionAppConfig", "runtime", "name");
  const version = at(r.inputs, "functionAppConfig", "runtime", "version");
  return typeof name === "string" && name.toLowerCase() === "node" && typeof version === "string" ? version : undefined;
}

/**
 * Dv2 and DSv2 sizes, the original D/DS and the original Ls: `Standard_D2_v2`, `Standard_DS11_v2`, the
 * constrained-vCPU `Standard_DS13-4_v2`, `Standard_DS2_v2_Promo`, `Standard_D3`, `Standard_L8s` (not Lsv2/Lsv3:
 * `Standard_L8s_v3`).
 */
const DV2_SIZE = /^standard_(ds?\d+(-\d+)?(_v2)?(_promo)?|l\d+s)$/i;
/**
 * The F, Fs, Fsv2, Lsv2, Gs, Av2, Amv2 and first-generation B sizes (`Standard_F4s_v2`, `Standard_L8s_v2`,
 * `Standard_GS4-8`, `Standard_A2m_v2`, `Standard_B2ms`): not the Bsv2 family (`Standard_B2s_v2`, `Standard_B2als_v2`),
 * Lsv3 or later generations.
 */
const F_B_SIZE = /^standard_(f\d+s?|f\d+s_v2|l\d+s_v2|gs\d+(-\d+)?|a\d+m?_v2|b\d+(ls|ms|s))$/i;
/**
 * The 32 Dv3, Dsv3, Ev3 and Esv3 sizes (`Standard_D4s_v3`, `Standard_E64-16s_v3`, `Standard_E64is_v3`): not Dav4,
 * Dsv4 or later generations (`Standard_D4as_v4`, `Standard_D4s_v5`).
 */
const DV3_EV3_SIZE = /^standard_(d\d+s?_v3|e\d+(-\d+)?i?s?_v3)$/i;
/** The G sizes (`Standard_G5`), not Gs (`Standard_GS4`, with F_B_SIZE). */
const G_SIZE = /^standard_g\d+$/i;

/** The VM sizes a stack asks Azure for, each with where it is set: ML compute clusters, and the online deployment's
 * size the stack exports for the release pipeline (`fraudScoring.deployment.instanceType`). */
function vmSizes(r: ResourceRecord): { size: string; where: string }[] {
  if (sdkTypeOf(r) === "azure-native:machinelearningservices:Compute") {
    const size = at(r.inputs, "properties", "properties", "vmSize");
    return typeof size === "string" ? [{ size, where: "vmSize" }] : [];
  }
  if (r.type === "pulumi:pulumi:Stack") {
    const found: { size: string; where: string }[] = [];
    const walk = (v: unknown, where: string) => {
      const key = where.split(".").pop() ?? "";
      if (typeof v === "string" && /^(instanceType|vmSize)$/.test(key))
        found.push({ size: v, where: `output ${where}` });
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, where ? `${where}.${k}` : k);
    };
    walk(r.outputs, "");
    return found;
  }
  return [];
}

/** A flow log's target when it is a network security group (an NSG flow log), else undefined. */
function nsgFlowLogTarget(r: ResourceRecord): string | undefined {
  if (sdkTypeOf(r) !== "azure-native:network:FlowLog") return undefined;
  const target = at(r.inputs, "targetResourceId");
  return typeof target === "string" && /\/providers\/microsoft\.network\/networksecuritygroups\//i.test(target)
    ? target.split("/").pop()
    : undefined;
}

/** A VM series' retirement (Microsoft's retirement list, Azure/EOL), matched on the sizes the stack asks for. */
function vmSeriesRetirement(
  id: string,
  date: string,
  series: string,
  sizes: RegExp,
  quote: string,
  url = "https://github.com/Azure/EOL/blob/main/service_list.json",
): Retirement {
  return {
    id,
    date,
    effect: "stops",
    what: `The ${series} VM series retire: VMs of these sizes are deallocated, new ones cannot be created (the ML training cluster and the scoring deployment run on VMs)`,
    source: { url, quote },
    fix: "choose a current size in `ml.compute.vmSize` / `ml.endpoint.instanceType` (the endpoint's size must be on Microsoft's managed online endpoint SKU list) and request its quota first; `vmSize` replaces the cluster, so change it while no job runs",
    matches: (r) => sizesMatching(r, [sizes]),
  };
}

/** The VM sizes `r` asks for that one of `series` matches, each as `<where>: <size>`. */
function sizesMatching(r: ResourceRecord, series: readonly RegExp[]): string[] {
  return vmSizes(r)
    .filter((v) => series.some((s) => s.test(v.size)))
    .map((v) => `${v.where}: ${v.size}`);
}

/** Microsoft Learn's page of VM series retirements and capacity growth restrictions (2026-09-25). */
const VM_LIFECYCLE_PAGE =
  "https://learn.microsoft.com/azure/virtual-machines/sizes/lifecycle/retirements-and-capacity-restrictions";

export const RETIREMENTS: readonly Retirement[] = [
  {
    id: "ml-low-priority-vms",
    date: "2026-03-31",
    effect: "unsupported",
    what: "Low-priority VMs are retired for Azure Machine Learning: a low-priority training cluster still runs, but its nodes are Spot VMs, billed at the variable Spot rate (capped at pay-as-you-go) and evicted when Azure needs the capacity",
    source: {
      url: "https://learn.microsoft.com/azure/machine-learning/how-to-manage-optimize-cost",
      quote:
        "Low-priority virtual machines (VMs) were retired for Azure Machine Learning on March 31, 2026. Compute clusters that specify `tier: low_priority` still pass validation and still run jobs, but Azure Batch now allocates their nodes as Spot VMs through a system-initiated migration. (Microsoft's retirement list, Azure/EOL entry 258: azure.microsoft.com/updates/?id=501658)",
    },
    fix: "set `ml.compute.vmPriority: Dedicated` (the default); the change replaces the training cluster, so make it while no job runs, and request the family's dedicated cores first (docs/capacity.md)",
    matches: (r) =>
      sdkTypeOf(r) === "azure-native:machinelearningservices:Compute" &&
      at(r.inputs, "properties", "properties", "vmPriority") === "LowPriority"
        ? ["a low-priority training cluster"]
        : [],
  },
  {
    id: "keyvault-control-plane-api",
    date: "2027-02-27",
    effect: "deploy-fails",
    what: "Key Vault control-plane API versions before 2026-02-01 retire: every read, create and update of a vault or key through them fails (every `up --refresh` and the drift check included)",
    source: {
      url: "https://learn.microsoft.com/azure/key-vault/general/migrate-api-version",
      quote:
        "All Key Vault control plane API versions before 2026-02-01 retire on February 27, 2027. After that date, your key vaults continue to exist, but you can manage them only with control plane API version 2026-02-01 or later. There's no exception or extension to this date.",
    },
    fix: 'manage the vaults and keys with API 2026-02-01 or later: an azure-native release whose keyvault default is that version, or the local package `pulumi package add azure-native keyvault 2026-02-01` imported in components/platform/keyVaults.ts and components/shared/cmk.ts (its tokens, `azure-native_keyvault_v20260201:keyvault:*`, which the policy pack and the offline tools read as the default class\'s), for the two reads too (`getVault` there, `getSecret` in components/ingestion/gateway.ts: on an older version they fail, with a warning, and check nothing; docs/operations.md, "Retirements ahead")',
    matches: (r) => {
      const [pkg, mod] = sdkTypeOf(r).split(":");
      if (pkg !== "azure-native" || mod !== "keyvault") return [];
      const version = apiVersionOf(r.type, r.inputs);
      return version && version < "2026-02-01" ? [`${short(sdkTypeOf(r))}@${version}`] : [];
    },
    fixedBy: [
      { armType: "Microsoft.KeyVault/vaults", version: "2026-02-01" },
      { armType: "Microsoft.KeyVault/vaults/keys", version: "2026-02-01" },
    ],
  },
  ...Object.entries(NODE_END_OF_LIFE).map(([major, date]): Retirement => ({
    id: `nodejs-${major}-end-of-life`,
    date,
    effect: "unsupported",
    what: `Node.js ${major} reaches its end of life: function apps on it keep running but get no security patches`,
    source: {
      url: "https://learn.microsoft.com/azure/azure-functions/language-support-policy",
      quote:
        "After the language end-of-life date, function apps that use retired language versions can still be created and deployed, and they continue to run on the platform. However your apps aren't eligible for new features, security patches, and performance optimizations until you upgrade them to a supported language version.",
    },
    fix: "move the apps to a supported Node.js major (components/shared/functionApp.ts `runtime`, pipelines/functions/package.json `engines`, the workflows' `node-version`) once Flex Consumption offers it in the region (`az functionapp list-flexconsumption-runtimes -l <region> --runtime node`)",
    matches: (r) => (nodeRuntime(r) === major ? [`Node.js ${major}`] : []),
  })),
  {
    id: "sentinel-azure-portal",
    date: "2027-04-01",
    effect: "stops",
    what: "Microsoft Sentinel leaves the Azure portal: every workspace is moved to the Defender portal, where the Microsoft incident creation rule that turns Defender for Cloud's alerts into incidents no longer runs",
    source: {
      url: "https://learn.microsoft.com/azure/sentinel/microsoft-sentinel-defender-portal",
      quote:
        "After March 31, 2027, Microsoft Sentinel will no longer be supported in the Azure portal and will be available only in the Microsoft Defender portal. All customers using Microsoft Sentinel in the Azure portal will be redirected to the Defender portal and will use Microsoft Sentinel in the Defender portal only.",
    },
    fix: 'onboard the workspace to the Defender portal before the date, connect Defender for Cloud through the tenant-based connector, then remove `operations-rule-defender-incidents` and `operations-sentinel-defender` from components/operations/sentinel.ts and check that Defender for Cloud alerts reach the Defender portal\'s incidents (docs/operations.md, "Sentinel in the Microsoft Defender portal")',
    matches: (r) =>
      sdkTypeOf(r) === "azure-native:securityinsights:MicrosoftSecurityIncidentCreationAlertRule"
        ? ["a Microsoft incident creation rule"]
        : sdkTypeOf(r) === "azure-native:securityinsights:ASCDataConnector"
          ? ["the subscription-based Defender for Cloud connector"]
          : [],
  },
  {
    id: "nsg-flow-logs",
    date: "2027-09-30",
    effect: "stops",
    what: "NSG flow logs retire: Azure deletes the flow log resources that target a network security group (no new one can be created since 2025-06-30), so such an NSG's flows are no longer logged",
    source: {
      url: "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview",
      quote:
        "On September 30, 2027, network security group (NSG) flow logs will be retired. As part of this retirement, you'll no longer be able to create new NSG flow logs starting June 30, 2025. ... After the retirement date, traffic analytics enabled with NSG flow logs will no longer be supported, and existing NSG flow logs resources in your subscriptions will be deleted.",
    },
    fix: 'log the VNet instead: a virtual network flow log targeting the VNet (components/platform/flowLogs.ts does it for the platform\'s), then delete the NSG flow log (the two would record the same flows twice; docs/operations.md, "VNet flow logs")',
    matches: (r) => {
      const nsg = nsgFlowLogTarget(r);
      return nsg ? [`flow log of NSG ${nsg}`] : [];
    },
  },
  vmSeriesRetirement(
    "vm-dv2-dsv2-series",
    "2028-05-01",
    "D, Ds, Dv2, Dsv2 and Ls",
    DV2_SIZE,
    '"ServiceName": "Virtual Machines", "RetiringFeature": "D, Ds, Dv2, Dsv2 and Ls series", "RetirementDate": "2028-05-01" (Microsoft\'s retirement list; its migration guide, learn.microsoft.com/azure/virtual-machines/migration/sizes/d-ds-dv2-dsv2-ls-series-migration-guide, gives the replacement series)',
  ),
  vmSeriesRetirement(
    "vm-f-b-series",
    "2028-11-15",
    "F, Fs, Fsv2, Lsv2, Gs, Av2, Amv2 and B",
    F_B_SIZE,
    '"ServiceName": "Virtual Machines", "RetiringFeature": "F, Fs, Fsv2, Lsv2, Gs, Av2, Amv2, and B VM series", "RetirementDate": "2028-11-15" (Microsoft\'s retirement list, its entry 503: azure.microsoft.com/updates/?id=500682)',
  ),
  vmSeriesRetirement(
    "vm-dv3-ev3-series",
    // "After November 15, 2029": the first day without them is the 16th.
    "2029-11-16",
    "Dv3, Dsv3, Ev3 and Esv3",
    DV3_EV3_SIZE,
    "The Dv3, Dsv3, Ev3, and Esv3 retirement affects all 32 sizes in these series. After November 15, 2029, you can't create, resize into, run, or purchase these sizes.",
    VM_LIFECYCLE_PAGE,
  ),
  {
    id: "vm-capacity-restrictions",
    date: "2026-07-01",
    effect: "restricted",
    what: "Azure stops growing the capacity of the older VM series (F, Fs, Fsv2, D, Ds, Dv2, Dsv2, Dv3, Dsv3, B, Bs, Av2, Amv2, Ev3, Esv3, G, Gs, Ls, Lsv2): a new subscription cannot deploy them, no more quota is granted for them, and a deployment within the quota may fail for want of capacity (the ML cluster's scale-out, a scoring release); Microsoft's page does not name Azure ML, whose compute has a quota of its own",
    source: {
      url: VM_LIFECYCLE_PAGE,
      quote:
        "Capacity growth restrictions mean that Azure might not approve additional quota requests, new deployments, or capacity expansion requests for impacted VM series due to limited availability of the underlying hardware. These capacity controls don't affect existing running VMs. ... New subscription: Can't deploy affected SKUs. ... Existing subscription requesting additional quota: Additional quota isn't approved.",
    },
    fix: 'choose current sizes before the first deploy: a v5 size for training (`ml.compute.vmSize`, e.g. Standard_D4as_v5 or Standard_D4s_v5, as `az ml compute list-sizes` lists them), a size of the managed online endpoint SKU list off the restricted series for scoring (`ml.endpoint.instanceType`, e.g. Standard_D2as_v4), priced in tools/lib/cost/prices/, with their quota requested (docs/operations.md, "Retirements ahead")',
    matches: (r) => sizesMatching(r, [DV2_SIZE, F_B_SIZE, DV3_EV3_SIZE, G_SIZE]),
  },
];

/** The retirements that touch `resources`, soonest first, with the days left on `today`. */
export function retirementsOf(
  resources: readonly ResourceRecord[],
  today: Date,
  table: readonly Retirement[] = RETIREMENTS,
): RetirementFinding[] {
  const findings: RetirementFinding[] = [];
  for (const retirement of table) {
    const hits = resources.flatMap((r) =>
      retirement.matches(r).map((detail) => ({ name: r.name, urn: r.urn, detail })),
    );
    if (hits.length === 0) continue;
    const daysLeft = Math.round((utcDay(parseDay(retirement.date)) - utcDay(today)) / DAY);
    findings.push({ retirement, resources: hits, daysLeft });
  }
  return findings.sort((a, b) => a.daysLeft - b.daysLeft || a.retirement.id.localeCompare(b.retirement.id));
}

/** A finding that fails the preview: its date has passed and a deploy or the service fails from then on. */
export const blocking = (f: RetirementFinding) =>
  f.daysLeft <= 0 && (f.retirement.effect === "deploy-fails" || f.retirement.effect === "stops");

const when = (f: RetirementFinding) =>
  f.daysLeft > 0 ? `in ${f.daysLeft} day${f.daysLeft === 1 ? "" : "s"}` : f.daysLeft === 0 ? "today" : "passed";

const EFFECT: Record<RetirementEffect, string> = {
  "deploy-fails": "deploys fail",
  stops: "the service stops",
  unsupported: "end of support",
  restricted: "capacity restricted",
};

/** Resources, grouped by what retires: `ml-compute, ml-endpoint (Standard_DS2_v2)`. */
function affected(f: RetirementFinding): string {
  const byDetail = new Map<string, string[]>();
  for (const r of f.resources) byDetail.set(r.detail, [...(byDetail.get(r.detail) ?? []), r.name]);
  return [...byDetail].map(([detail, names]) => `${names.join(", ")} (${detail})`).join("; ");
}

/**
 * The preview's text section: `✗` a passed date that fails the preview, `!` one ahead, `·` an end of support or a
 * capacity restriction.
 */
export function formatRetirements(findings: readonly RetirementFinding[], today: Date): string {
  const title = `Retirements ahead (dated announcements matched against the stack, as of ${today.toISOString().slice(0, 10)})`;
  if (findings.length === 0) return `${title}: none`;
  const lines = [`${title}: ${findings.length}`];
  for (const f of findings) {
    const listedOnly = f.retirement.effect === "unsupported" || f.retirement.effect === "restricted";
    const mark = blocking(f) ? "✗" : listedOnly ? "·" : "!";
    lines.push(
      `    ${mark} ${f.retirement.date} (${when(f)}, ${EFFECT[f.retirement.effect]}) [${f.retirement.id}]: ${f.retirement.what}`,
      `        ${f.resources.length} resource${f.resources.length === 1 ? "" : "s"}: ${affected(f)}`,
      `        fix: ${f.retirement.fix}`,
      `        source: ${f.retirement.source.url}`,
    );
  }
  return lines.join("\n");
}

/** The Markdown report's section (the pull-request job summary). */
export function retirementsMarkdown(findings: readonly RetirementFinding[], today: Date): string {
  const heading = "## Retirements ahead";
  if (findings.length === 0) return `${heading}\n\nNone as of ${today.toISOString().slice(0, 10)}.\n`;
  return [
    heading,
    "",
    `Dated announcements that touch this stack, as of ${today.toISOString().slice(0, 10)} (tools/lib/retirements.ts); a passed date fails the preview when deploys fail or the service stops:`,
    "",
    "| date | when | effect | what | resources | fix |",
    "| --- | --- | --- | --- | --- | --- |",
    ...findings.map(
      (f) =>
        `| ${f.retirement.date} | ${blocking(f) ? "❌ " : ""}${when(f)} | ${EFFECT[f.retirement.effect]} | [${f.retirement.what.replace(/\|/g, "\\|")}](${f.retirement.source.url}) | ${affected(f).replace(/\|/g, "\\|")} | ${f.retirement.fix.replace(/\|/g, "\\|")} |`,
    ),
    "",
  ].join("\n");
}

/** The `retirements` member of the JSON verdict. */
export function retirementsJson(findings: readonly RetirementFinding[], today: Date) {
  return {
    asOf: today.toISOString().slice(0, 10),
    findings: findings.map((f) => ({
      id: f.retirement.id,
      date: f.retirement.date,
      effect: f.retirement.effect,
      daysLeft: f.daysLeft,
      blocking: blocking(f),
      what: f.retirement.what,
      source: f.retirement.source.url,
      fix: f.retirement.fix,
      resources: f.resources,
    })),
  };
}
