/** Pricing rules of monitoring and security: Log Analytics, Key Vault keys, Defender for Cloud, alerts, Sentinel. */
import { templateResources } from "../../../../policies/lib/templates";
import type { ResourceRecord } from "../../policyRunner";
import { DAYS_PER_MONTH, hasPrice } from "../prices";
import {
  at,
  free,
  notEstimated,
  num,
  priced,
  pricedInPart,
  str,
  type LineSpec,
  type Rule,
  type RuleContext,
  type RuleResult,
} from "../model";
import { AN } from "./common";
import { account, cosmosRegions } from "./data";
import { sdkTypeOf } from "../../sdkType";
import { TABLE_TYPE, tableOfEntryName } from "../../../../components/operations/retention";

// ---- Monitoring and keys --------------------------------------------------------------------------------------------

/**
 * Days of interactive retention a workspace gets without charge: 31, or 90 when Microsoft Sentinel is onboarded on
 * it ("Retain all data ingested into the workspace at no charge for the first 90 days": MicrosoftDocs/azure-docs
 * articles/sentinel/billing.md).
 */
export function includedRetentionDays(r: ResourceRecord, ctx: RuleContext): 31 | 90 {
  const name = str(r.inputs, "workspaceName");
  const onboarded = ctx
    .ofType(`${AN}:securityinsights:SentinelOnboardingState`)
    .some((s) => name !== undefined && str(s.inputs, "workspaceName") === name);
  return onboarded ? 90 : 31;
}

/**
 * A workspace's commitment tier (GB a day) when its `sku` is CapacityReservation, else undefined (pay-as-you-go); NaN
 * when the level is missing or unknown (an export's secret or computed value): no price row matches it.
 */
export function commitmentLevel(ws: ResourceRecord): number | undefined {
  if ((str(ws.inputs, "sku.name") ?? "").toLowerCase() !== "capacityreservation") return undefined;
  return num(ws.inputs, "sku.capacityReservationLevel") ?? NaN;
}

/** Why a workspace's commitment tier has no price row (listed as not estimated, never priced as pay-as-you-go or 0). */
export const unpricedTier = (level: number): string =>
  Number.isNaN(level)
    ? "sku CapacityReservation without a known capacityReservationLevel: no commitment tier to price"
    : `the ${level} GB/day commitment tier has no price row (tools/lib/cost/prices/ LOG_COMMITMENT_TIERS)`;

/**
 * A table's own retention settings in the stack: an entry of an inline ARM deployment's template on this workspace
 * (components/operations/retention.ts, `logLongTermRetention`), or a `Table` resource.
 */
function tableSettings(ws: ResourceRecord, table: string, ctx: RuleContext): Record<string, unknown> | undefined {
  const name = str(ws.inputs, "workspaceName")?.toLowerCase();
  const group = str(ws.inputs, "resourceGroupName")?.toLowerCase();
  for (const d of ctx.ofType(`${AN}:resources:Deployment`)) {
    if (str(d.inputs, "properties.parameters.workspaceName.value")?.toLowerCase() !== name) continue;
    if (str(d.inputs, "resourceGroupName")?.toLowerCase() !== group) continue;
    const entry = templateResources({ props: d.inputs }).find(
      (e) =>
        e.deployed === true &&
        e.type.toLowerCase() === TABLE_TYPE.toLowerCase() &&
        tableOfEntryName(e.name)?.toLowerCase() === table.toLowerCase(),
    );
    if (entry) return entry.properties;
  }
  return ctx
    .ofType(`${AN}:operationalinsights:Table`)
    .find(
      (r) =>
        str(r.inputs, "workspaceName")?.toLowerCase() === name &&
        str(r.inputs, "tableName")?.toLowerCase() === table.toLowerCase(),
    )?.inputs;
}

/**
 * How long one table of a workspace keeps its records: its own settings when the stack declares them (`tableSettings`;
 * -1 or absent: the workspace's, and a total of -1 or absent: the table's interactive days, as the Table API reads
 * them), else the workspace's `retentionInDays` (30 by default), all interactive.
 */
export function tableRetentionDays(
  ws: ResourceRecord,
  table: string | undefined,
  ctx: RuleContext,
): { readonly interactive: number; readonly total: number; readonly declared: boolean } {
  const workspace = num(ws.inputs, "retentionInDays") ?? 30;
  const own = (v: number | undefined) => (v !== undefined && v >= 0 ? v : undefined);
  const t = table === undefined ? undefined : tableSettings(ws, table, ctx);
  if (!t) return { interactive: workspace, total: workspace, declared: false };
  const interactive = own(num(t, "retentionInDays")) ?? workspace;
  return { interactive, total: own(num(t, "totalRetentionInDays")) ?? interactive, declared: true };
}

/** What the workspace's records cost: priced lines, and the parts without a price row (listed as not estimated). */
export interface WorkspaceRecordLines {
  readonly lines: LineSpec[];
  readonly unpriced: string[];
}

/**
 * What `gb` a month of records costs in one of the stack's workspaces: Log Analytics ingestion, Sentinel analysis where
 * Sentinel is onboarded on the workspace, and interactive retention beyond the included days (steady state). `what`
 * names the records in each meter. On a commitment tier (`sku: CapacityReservation`) ingestion and analysis are billed
 * in days of the tier: `gb` ÷ the tier's GB, at the tier's daily price, usage above the tier included ("billed as 1.5
 * units of the 200 GB/day commitment tier", cost-logs.md); the estimator adds the unused part of each day's tier on the
 * workspace (`commitmentOf` on these lines).
 */
export function workspaceRecordLines(
  ws: ResourceRecord,
  ctx: RuleContext,
  gb: number,
  what: string,
  note?: string,
  table?: string,
): WorkspaceRecordLines {
  const onboarded = ctx
    .ofType(`${AN}:securityinsights:SentinelOnboardingState`)
    .some((s) => str(s.inputs, "workspaceName") === str(ws.inputs, "workspaceName"));
  const { interactive: retention, total, declared } = tableRetentionDays(ws, table, ctx);
  const included = includedRetentionDays(ws, ctx);
  const gbDay = gb / DAYS_PER_MONTH;
  const level = commitmentLevel(ws);
  const lines: LineSpec[] = [];
  const unpriced: string[] = [];
  if (level === undefined) {
    lines.push({ meter: `Log Analytics ingestion: ${what}`, priceId: "log-analytics-ingestion", quantity: gb, note });
    if (onboarded)
      lines.push({ meter: `Sentinel analysis: ${what}`, priceId: "sentinel-ingestion", quantity: gb, note });
  } else if (!hasPrice(`log-analytics-commitment-${level}`)) {
    unpriced.push(`${what}: ${unpricedTier(level)}`);
  } else {
    const tierNote = `${gb.toFixed(0)} GB ÷ ${level} GB: days of the ${level} GB/day tier${note ? `; ${note}` : ""}`;
    const commitmentOf = ws.urn;
    lines.push({
      meter: `Log Analytics ingestion at the ${level} GB/day commitment tier: ${what}`,
      priceId: `log-analytics-commitment-${level}`,
      quantity: gb / level,
      note: tierNote,
      commitmentOf,
    });
    if (onboarded)
      lines.push({
        meter: `Sentinel analysis at the ${level} GB/day commitment tier: ${what}`,
        priceId: `sentinel-commitment-${level}`,
        quantity: gb / level,
        note: tierNote,
        commitmentOf,
      });
  }
  const kept = declared ? ` in ${table}` : "";
  if (retention > included)
    lines.push({
      meter: `Log Analytics retention ${retention} days${declared ? " interactive" : ""} (beyond the included ${included})${kept}: ${what}`,
      priceId: "log-analytics-retention",
      quantity: gbDay * (retention - included),
      note: `steady state: each day's ${gbDay.toFixed(1)} GB kept for the retention beyond ${included} days`,
    });
  if (total > retention)
    lines.push({
      meter: `Log Analytics long-term retention to ${total} days (after ${retention} interactive)${kept}: ${what}`,
      priceId: "log-analytics-long-term-retention",
      quantity: gbDay * (total - retention),
      note: `steady state: each day's ${gbDay.toFixed(1)} GB kept from day ${retention + 1} to day ${total} (the table's totalRetentionInDays); reading it back (search jobs, restores) is not priced`,
    });
  return { lines, unpriced };
}

/**
 * A workspace: the records the stack's usage assumptions send it (`usage.logIngestionGbPerDay`; what other resources
 * send, the SQL audit of the trigger's polls and traffic analytics, is priced on them, and Sentinel's analysis on its
 * onboarding state), and their interactive retention beyond the included days.
 */
export const logAnalytics: Rule = (r, ctx) => {
  const gbDay = ctx.usage.logIngestionGbPerDay;
  const retention = num(r.inputs, "retentionInDays") ?? 30;
  const included = includedRetentionDays(r, ctx);
  const level = commitmentLevel(r);
  const lines: LineSpec[] = [];
  if (level === undefined)
    lines.push({
      meter: `Ingestion ${gbDay} GB/day`,
      priceId: "log-analytics-ingestion",
      quantity: gbDay * DAYS_PER_MONTH,
    });
  else if (!hasPrice(`log-analytics-commitment-${level}`)) return notEstimated(unpricedTier(level));
  else
    lines.push({
      meter: `Ingestion ${gbDay} GB/day at the ${level} GB/day commitment tier`,
      priceId: `log-analytics-commitment-${level}`,
      quantity: (gbDay * DAYS_PER_MONTH) / level,
      note: `GB ÷ ${level} GB: days of the ${level} GB/day tier`,
      commitmentOf: r.urn,
    });
  if (retention > included) {
    lines.push({
      meter: `Retention ${retention} days (beyond the included ${included}${included === 90 ? ", Sentinel" : ""})`,
      priceId: "log-analytics-retention",
      quantity: gbDay * (retention - included),
      note: `steady state: each day's ingestion kept for the retention beyond ${included} days`,
    });
  }
  return priced(...lines);
};

const isoDays = (d?: string) => {
  const m = /^P(\d+)([DWMY])$/.exec(d ?? "");
  return m ? Number(m[1]) * { D: 1, W: 7, M: 30.42, Y: 365 }[m[2] as "D" | "W" | "M" | "Y"] : undefined;
};

export const keyVaultKey: Rule = (r, ctx) => {
  const kty = str(r.inputs, "properties.kty") ?? "RSA";
  const size = num(r.inputs, "properties.keySize") ?? 2048;
  const hsm = kty.endsWith("-HSM");
  const lines: LineSpec[] = [];
  if (hsm) {
    lines.push({
      meter: `HSM-protected key ${kty} ${size}`,
      priceId: size >= 3072 ? "kv-hsm-key-rsa3072" : "kv-hsm-key-rsa2048",
      quantity: 1,
    });
  }
  const actions = (at(r.inputs, "properties.rotationPolicy.lifetimeActions") as unknown[] | undefined) ?? [];
  const rotate = actions.find((a) => str(a, "action.type")?.toLowerCase() === "rotate");
  const days = isoDays(str(rotate, "trigger.timeAfterCreate"));
  if (days)
    lines.push({
      meter: `Automated rotation every ${Math.round(days)} days`,
      priceId: "kv-rotation",
      quantity: DAYS_PER_MONTH / days,
    });
  if (hsm || size >= 3072) {
    const keys = ctx.ofType(sdkTypeOf(r)).length;
    lines.push({
      meter: `Cryptographic operations (share of ${ctx.usage.keyVaultTenThousandOpsPerMonth}×10K over ${keys} keys)`,
      priceId: "kv-advanced-ops",
      quantity: ctx.usage.keyVaultTenThousandOpsPerMonth / keys,
    });
  }
  return lines.length > 0 ? priced(...lines) : free("software RSA 2048 key: no monthly key fee; operations negligible");
};

// ---- Security: Microsoft Defender for Cloud --------------------------------------------------------------------------

const count = (ctx: RuleContext, ...types: string[]) => types.reduce((s, t) => s + ctx.ofType(`${AN}:${t}`).length, 0);
const standard = (r: ResourceRecord) => (str(r.inputs, "pricingTier") ?? "").toLowerCase() === "standard";

/** Billed RU/s (in 100s) across the stack's provisioned containers and databases, every region. */
function billedHundredRu(ctx: RuleContext): number {
  let total = 0;
  for (const t of [`${AN}:cosmosdb:SqlResourceSqlContainer`, `${AN}:cosmosdb:SqlResourceSqlDatabase`]) {
    for (const c of ctx.ofType(t)) {
      const regions = cosmosRegions(account(c, ctx));
      const max = num(c.inputs, "options.autoscaleSettings.maxThroughput");
      const manual = num(c.inputs, "options.throughput");
      const ru = max !== undefined ? max * ctx.usage.cosmosAutoscaleBilledFraction : (manual ?? 0);
      total += (ru / 100) * regions;
    }
  }
  return total;
}

/**
 * A Defender for Cloud plan (`security:Pricing`): the plan's price per protected resource × the stack's resources of
 * that kind (a subscription-scoped plan also covers resources outside this stack: the figure is this stack's share).
 */
export const defenderPlan: Rule = (r, ctx) =>
  defenderPlanCost(str(r.inputs, "pricingName") ?? r.name, standard(r), str(r.inputs, "subPlan"), ctx);

/** A Defender plan's monthly lines from its name, tier and sub-plan (typed resource or ARM template entry). */
function defenderPlanCost(
  plan: string,
  isStandard: boolean,
  subPlan: string | undefined,
  ctx: RuleContext,
): RuleResult {
  if (!isStandard) return free(`Defender plan ${plan} on the Free tier`);
  const per = (meter: string, priceId: string, n: number, what: string) =>
    n > 0
      ? priced({ meter: `${meter} × ${Math.round(n * 100) / 100} ${what}`, priceId, quantity: n })
      : free(`Defender plan ${plan}: no ${what} in the stack`);
  switch (plan) {
    case "SqlServers":
      // Azure SQL logical servers and Synapse workspaces (dedicated pools) are both covered by the SQL plan.
      return per("Defender for SQL", "defender-sql-azure", count(ctx, "sql:Server", "synapse:Workspace"), "server(s)");
    case "StorageAccounts":
      return per("Defender for Storage", "defender-storage", count(ctx, "storage:StorageAccount"), "account(s)");
    case "KeyVaults":
      return per("Defender for Key Vault", "defender-keyvault", count(ctx, "keyvault:Vault"), "vault(s)");
    case "CosmosDbs":
      return per("Defender for Cosmos DB", "defender-cosmos", billedHundredRu(ctx), "100 RU/s billed");
    case "Arm":
      return per("Defender for Resource Manager", "defender-arm", 1, "subscription");
    case "AppServices": {
      const inst = ctx
        .ofType(`${AN}:web:AppServicePlan`)
        .filter((p) => !["FC1", "Y1"].includes(str(p.inputs, "sku.name") ?? ""))
        .reduce((s, p) => s + (num(p.inputs, "sku.capacity") ?? 1), 0);
      return per("Defender for App Service", "defender-appservice", inst, "plan instance(s)");
    }
    case "VirtualMachines":
      return per(
        `Defender for Servers ${subPlan ?? "P2"}`,
        subPlan === "P1" ? "defender-servers-p1" : "defender-servers-p2",
        count(ctx, "compute:VirtualMachine"),
        "VM(s)",
      );
    case "OpenSourceRelationalDatabases":
      return per(
        "Defender for open-source databases",
        "defender-oss-db",
        count(ctx, "dbforpostgresql:Server", "dbforpostgresql:FlexibleServer", "dbformysql:FlexibleServer"),
        "server(s)",
      );
    default:
      return notEstimated(
        `Defender plan ${plan} has no price row (priced: SqlServers, StorageAccounts, KeyVaults, CosmosDbs, Arm, AppServices, VirtualMachines, OpenSourceRelationalDatabases)`,
      );
  }
}

/** The Defender plans an ARM deployment's inline template sets (`Microsoft.Security/pricings` entries). */
export function templateDefenderPlans(
  r: ResourceRecord,
): readonly { readonly name: string; readonly tier?: string; readonly subPlan?: string }[] {
  return templateResources({ props: r.inputs })
    .filter((e) => e.type.toLowerCase() === "microsoft.security/pricings" && e.name.length > 0)
    .map((e) => ({
      name: e.name,
      ...(typeof e.properties.pricingTier === "string" ? { tier: e.properties.pricingTier } : {}),
      ...(typeof e.properties.subPlan === "string" ? { subPlan: e.properties.subPlan } : {}),
    }));
}

/**
 * A subscription-scope ARM deployment: priced by the Defender plans its template sets (components/operations
 * governance.ts deploys them this way); anything else it deploys is not priced here and is said so.
 */
export const subscriptionDeployment: Rule = (r, ctx) => {
  const plans = templateDefenderPlans(r);
  if (plans.length === 0)
    return notEstimated("a subscription deployment whose template sets no Defender plan: its resources are not priced");
  const results = plans.map((p) => defenderPlanCost(p.name, p.tier === "Standard", p.subPlan, ctx));
  // A plan without a price row is listed as not estimated; the plans that have one keep their lines.
  const unpriced = results.flatMap((x) => (x.kind === "not-estimated" ? [x.reason] : []));
  const lines = results.flatMap((x) => (x.kind === "priced" ? x.lines : []));
  if (lines.length > 0) return pricedInPart(lines, unpriced);
  if (unpriced.length > 0) return notEstimated(unpriced.join("; "));
  return free(`Defender plans ${plans.map((p) => p.name).join(", ")}: nothing to bill`);
};

/** Whether the stack turns Defender for SQL on for the subscription (a typed plan or one in a deployment). */
const sqlPlanInStack = (ctx: RuleContext) =>
  ctx.ofType(`${AN}:security:Pricing`).some((p) => str(p.inputs, "pricingName") === "SqlServers" && standard(p)) ||
  ctx
    .ofType(`${AN}:resources:DeploymentAtSubscriptionScope`)
    .some((d) => templateDefenderPlans(d).some((p) => p.name === "SqlServers" && p.tier === "Standard"));

/** Microsoft Defender for SQL on one server, unless a Defender for SQL plan of the stack already bills it. */
export const sqlSecurityAlertPolicy: Rule = (r, ctx) => {
  if ((str(r.inputs, "state") ?? "Enabled") !== "Enabled") return free("threat detection disabled");
  if (sqlPlanInStack(ctx)) return free("billed by the stack's Defender for SQL plan (SqlServers, Standard)");
  return priced({ meter: "Microsoft Defender for SQL (server)", priceId: "defender-sql-azure", quantity: 1 });
};

// ---- Azure Monitor alerts, notifications and Sentinel ---------------------------------------------------------------

/** Metric alert rules: one time series per scope and criterion (dimensions split further; not modelled). */
export const metricAlert: Rule = (r) => {
  const scopes = Math.max(1, (at(r.inputs, "scopes") as unknown[] | undefined)?.length ?? 1);
  const all = (at(r.inputs, "criteria.allOf") as { criterionType?: string }[] | undefined) ?? [{}];
  const series = scopes * Math.max(1, all.length);
  const dynamic = scopes * all.filter((c) => c.criterionType === "DynamicThresholdCriterion").length;
  const lines: LineSpec[] = [
    { meter: `${series} monitored time series`, priceId: "monitor-metric-alert-ts", quantity: series },
  ];
  if (dynamic > 0)
    lines.push({
      meter: `Dynamic threshold × ${dynamic} time series`,
      priceId: "monitor-metric-alert-ts",
      quantity: dynamic,
    });
  return priced(...lines);
};

const minutes = (iso?: string) => {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso ?? "");
  return m ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : undefined;
};
/** Log search alert rules (`ScheduledQueryRule`): a monthly price by evaluation frequency. */
export const scheduledQueryRule: Rule = (r) => {
  const freq = minutes(str(r.inputs, "evaluationFrequency"));
  if (freq === undefined) return notEstimated("no evaluationFrequency (ISO 8601 duration) on the rule");
  const id = freq <= 1 ? "1m" : freq <= 5 ? "5m" : freq <= 10 ? "10m" : "15m";
  return priced({
    meter: `Log search alert rule every ${freq} min`,
    priceId: `monitor-log-alert-${id}`,
    quantity: 1,
    note: "one time series (split-by dimensions add 30 % of the rule price each; not modelled)",
  });
};

/** Action groups: e-mail has 1,000 free a month; web hooks are billed per notification. */
export const actionGroup: Rule = (r, ctx) => {
  const receivers = at(r.inputs, "webhookReceivers");
  // The receivers are a secret: a `pulumi stack export` without --show-secrets holds them encrypted (read as unknown).
  if (receivers !== undefined && !Array.isArray(receivers))
    return notEstimated(
      "its web hooks are a secret this export holds encrypted (export with --show-secrets to count them)",
    );
  const hooks = (receivers as { useAadAuth?: boolean }[] | undefined) ?? [];
  if (hooks.length === 0) return free("e-mail notifications: the first 1,000 a month have no charge");
  const n = ctx.usage.alertNotificationsPerMonth;
  const secure = hooks.filter((h) => h.useAadAuth === true).length;
  const plain = hooks.length - secure;
  const lines: LineSpec[] = [];
  if (plain > 0)
    lines.push({ meter: `${plain} web hook(s) × ${n} notifications`, priceId: "monitor-webhook", quantity: plain * n });
  if (secure > 0)
    lines.push({
      meter: `${secure} secure web hook(s) × ${n} notifications`,
      priceId: "monitor-secure-webhook",
      quantity: secure * n,
    });
  return priced(...lines);
};

/** Microsoft Sentinel on a workspace: every GB the workspace ingests is analysed (pay-as-you-go). */
export const sentinel: Rule = (r, ctx) => {
  const gbDay = ctx.usage.logIngestionGbPerDay;
  const what = `${gbDay} GB/day (usage.logIngestionGbPerDay)`;
  const workspaces = ctx.ofType(`${AN}:operationalinsights:Workspace`);
  const name = str(r.inputs, "workspaceName");
  // The legacy solution names no workspace by name: the stack's only one, then.
  const ws =
    name !== undefined
      ? workspaces.find((w) => str(w.inputs, "workspaceName") === name)
      : workspaces.length === 1
        ? workspaces[0]
        : undefined;
  const level = ws && commitmentLevel(ws);
  if (ws === undefined || level === undefined)
    return priced({
      meter: `Sentinel analysis ${what}`,
      priceId: "sentinel-ingestion",
      quantity: gbDay * DAYS_PER_MONTH,
    });
  if (!hasPrice(`sentinel-commitment-${level}`)) return notEstimated(unpricedTier(level));
  return priced({
    meter: `Sentinel analysis at the ${level} GB/day commitment tier: ${what}`,
    priceId: `sentinel-commitment-${level}`,
    quantity: (gbDay * DAYS_PER_MONTH) / level,
    note: `GB ÷ ${level} GB: days of the ${level} GB/day tier`,
    commitmentOf: ws.urn,
  });
};

/** The legacy `SecurityInsights(<ws>)` solution is Sentinel too (priced once, on the onboarding state when both exist). */
export const omsSolution: Rule = (r, ctx) => {
  const name = `${str(r.inputs, "solutionName") ?? ""} ${str(r.inputs, "plan.product") ?? ""}`;
  if (!/SecurityInsights/i.test(name)) return free("Log Analytics solutions bill their data as workspace ingestion");
  if (ctx.ofType(`${AN}:securityinsights:SentinelOnboardingState`).length > 0)
    return free("Sentinel is priced on the workspace's onboarding state");
  return sentinel(r, ctx);
};
