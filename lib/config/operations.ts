/** Stack configuration of the operations tier: alert receivers, the SLA table, Sentinel, budgets, governance. */
import { z } from "../zod";
import { settings } from "./strict";
import { list, email, guid, int } from "./common";

/** Alert priorities: P1 paged within 15 minutes, P2 answered within 1 hour, P3 within 24 hours (the seed's support). */
export const ALERT_PRIORITIES = ["p1", "p2", "p3"] as const;
export type AlertPriority = (typeof ALERT_PRIORITIES)[number];

export const receiverSchema = settings({
  /** E-mail receivers of the priority's action group; default: `alertEmails`. */
  emails: z.array(email).min(1, "must list at least one e-mail address").optional(),
  /** Add the secret `alertWebhookUrl` (incident tool) to the group when it is set. */
  webhook: z.boolean(),
});

/** The seed's SLA table: thresholds and windows of the six SLA alerts (components/operations/sla.ts). */
export const SLA_DEFAULTS = {
  oltpP99Ms: 200,
  oltpWindowMinutes: 5,
  olapQuerySeconds: 10,
  olapSlowQueries: 3,
  olapWindowMinutes: 15,
  cosmosP99Ms: 50,
  cosmosWindowMinutes: 5,
  etlWindowMinutes: 5,
  apiAvailabilityPercent: 99.9,
  apiWindowMinutes: 15,
  apiMinRequests: 100,
  freshnessMinutes: 60,
} as const;

/** Window sizes a log alert rule accepts, in minutes (scheduled query rules: PT1M … P2D). */
export const LOG_ALERT_WINDOWS = [1, 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880] as const;
export const logWindow = (min = 1) => {
  const allowed = LOG_ALERT_WINDOWS.filter((m) => m >= min);
  return z
    .number({ error: `must be one of ${list(allowed)} minutes (log alert window sizes)` })
    .refine(
      (v) => (allowed as readonly number[]).includes(v),
      `must be one of ${list(allowed)} minutes (log alert window sizes)`,
    );
};

export const slaSchema = settings({
  oltpP99Ms: int(1, 60000, " ms").default(SLA_DEFAULTS.oltpP99Ms),
  // At least 5: the SLA rows read their table through a fuzzy union (a new workspace has no table yet), and a
  // one-minute rule fails when "the query contains the search, union, or take operation"
  // (alerts-create-log-alert-rule): the rule would be disabled after a week of failures.
  oltpWindowMinutes: logWindow(5).default(SLA_DEFAULTS.oltpWindowMinutes),
  olapQuerySeconds: int(1, 3600, " seconds").default(SLA_DEFAULTS.olapQuerySeconds),
  olapSlowQueries: int(1, 1000, " queries").default(SLA_DEFAULTS.olapSlowQueries),
  olapWindowMinutes: logWindow(5).default(SLA_DEFAULTS.olapWindowMinutes),
  cosmosP99Ms: int(1, 10000, " ms").default(SLA_DEFAULTS.cosmosP99Ms),
  cosmosWindowMinutes: logWindow(5).default(SLA_DEFAULTS.cosmosWindowMinutes),
  etlWindowMinutes: z
    .union([z.literal(1), z.literal(5), z.literal(15), z.literal(30), z.literal(60)], {
      error: () => "must be one of 1, 5, 15, 30, 60 minutes (metric alert window sizes)",
    })
    .default(SLA_DEFAULTS.etlWindowMinutes),
  apiAvailabilityPercent: z
    .number({ error: "must be a percentage" })
    .min(90, "must be between 90 and 100 percent")
    .max(100, "must be between 90 and 100 percent")
    .default(SLA_DEFAULTS.apiAvailabilityPercent),
  apiWindowMinutes: logWindow(5).default(SLA_DEFAULTS.apiWindowMinutes),
  apiMinRequests: int(1, 1_000_000, " requests").default(SLA_DEFAULTS.apiMinRequests),
  freshnessMinutes: int(15, 1440, " minutes").default(SLA_DEFAULTS.freshnessMinutes),
});

export const operationsSchema = settings({
  /** Cost Management budget of the stack's resource groups (actual 50/80/100 %, forecast 100 %). */
  budget: settings({
    /** Monthly amount in the billing currency. */
    // Whole units: the Consumption budget's ARM schema types `amount` as an integer (the offline schema check refuses
    // a fraction), so a fraction is refused here with the key named.
    amount: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole amount (the budget takes whole units of the billing currency)" })
      .positive("must be a positive monthly amount"),
    /**
     * First day of the budget: YYYY-MM-01. Optional: by default the first day of the month the budget is created in
     * (Azure refuses a past start date outside the current month at creation, and any change of it later, so the
     * program ignores it once the budget exists).
     */
    startDate: z
      .string()
      .regex(/^20\d\d-(0[1-9]|1[0-2])-01$/, "must be the first day of a month, YYYY-MM-01 (e.g. 2026-12-01)")
      .optional(),
  }),
  /** Microsoft Sentinel on the workspace with the card-data analytics rules; must be true in prod. */
  sentinel: z.boolean(),
  /**
   * Subscription-wide pieces (activity log to the workspace, Defender for Cloud plans and security contact, the
   * PCI DSS v4 initiative in audit mode): exactly one stack per subscription owns them (prod).
   */
  subscriptionGovernance: z.boolean(),
  /**
   * With `subscriptionGovernance`: whether the stack sets the subscription's Defender for Cloud security contact
   * (`default`: `securityContactEmails`, alerts from Medium). False leaves the contact to whoever owns it, e.g. an
   * Azure Landing Zones assignment that deploys its own (`Deploy-MDFC-Config`), instead of each overwriting the other
   * (docs/operations.md, "Under Azure Landing Zones").
   */
  securityContact: z.boolean().default(true),
  /** Receivers per priority; default: `alertEmails` everywhere, the webhook on P1 and P2. */
  routing: settings({ p1: receiverSchema, p2: receiverSchema, p3: receiverSchema }).default({
    p1: { webhook: true },
    p2: { webhook: true },
    p3: { webhook: false },
  }),
  /** Defender for Cloud security contacts; default: `alertEmails`. */
  securityContactEmails: z.array(email).min(1, "must list at least one e-mail address").optional(),
  /**
   * The object id of the deploy workflow's identity (its service principal's, `az ad sp show --id <client id> --query
   * id`): with Sentinel and `functionPackageWrites: deploy-window`, the rule `package-writer-granted-outside-deploy`
   * raises a package writer role granted by anyone else. Config, not the running identity: previews and the drift
   * check run as another one (a rule read from the running identity would change on every preview).
   */
  deployPrincipalId: guid.optional(),
  sla: slaSchema.default(SLA_DEFAULTS),
});
