/**
 * Alert routing by priority: one action group per priority of the seed's support section (P1 paged within 15
 * minutes, P2 answered within 1 hour, P3 within 24 hours), receivers from config (`operations.routing`; e-mail, and
 * the secret `alertWebhookUrl` of the incident tool where the priority asks for it). Every alert rule of the program
 * names exactly the group of its severity (`routeFor`): no alert processing rule adds groups on top, so a
 * notification is never sent twice.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import { ALERT_PRIORITIES, type AlertPriority, type PlatformConfig } from "../../lib/config";
import type { StackContext, Tags } from "../shared";

/** Azure Monitor severities: 0 critical … 4 verbose. */
export type AlertSeverity = 0 | 1 | 2 | 3 | 4;

/** Priority of each severity: Sev0/Sev1 page (P1), Sev2 is P2, Sev3/Sev4 are P3. */
export const PRIORITY_OF_SEVERITY: Readonly<Record<AlertSeverity, AlertPriority>> = {
  0: "p1",
  1: "p1",
  2: "p2",
  3: "p3",
  4: "p3",
};

/** What each priority promises (action group names, docs/runbook.md). */
export const PRIORITY_RESPONSE: Readonly<Record<AlertPriority, { readonly minutes: number; readonly label: string }>> =
  {
    p1: { minutes: 15, label: "paged, acknowledged within 15 minutes" },
    p2: { minutes: 60, label: "answered within 1 hour" },
    p3: { minutes: 24 * 60, label: "answered within 24 hours (next business day)" },
  };

/** The action group ids per priority; tiers route their alerts through `actionGroupFor`. */
export interface AlertRouting {
  readonly actionGroupIds: Readonly<Record<AlertPriority, pulumi.Output<string>>>;
  /**
   * Security operations (`operations.securityContactEmails`, default `alertEmails`, and the incident webhook when P1
   * has it): where Microsoft Sentinel's incidents go (docs/runbook.md, "Security incidents"). Only with Sentinel.
   */
  readonly securityActionGroupId?: pulumi.Output<string>;
}

/** Receivers of the security operations group (pure; tests read it). */
export function securityReceiversOf(cfg: Pick<PlatformConfig, "alertEmails" | "operations">): Receivers {
  return {
    emails: cfg.operations.securityContactEmails ?? cfg.alertEmails,
    webhook: cfg.operations.routing.p1.webhook,
  };
}

/** The action group an alert of `severity` notifies. */
export function actionGroupFor(routing: AlertRouting, severity: AlertSeverity): pulumi.Output<string> {
  return routing.actionGroupIds[PRIORITY_OF_SEVERITY[severity]];
}

/** Who an action group notifies: e-mail addresses, and the incident tool's webhook or not. */
export interface Receivers {
  readonly emails: readonly string[];
  readonly webhook: boolean;
}

/** Receivers of one priority's group (pure; tests read it). */
export function receiversOf(
  cfg: Pick<PlatformConfig, "alertEmails" | "operations">,
  priority: AlertPriority,
): Receivers {
  const r = cfg.operations.routing[priority];
  return { emails: r.emails ?? cfg.alertEmails, webhook: r.webhook };
}

/**
 * Whether P1 pages by e-mail only: no webhook on its group (`operations.routing.p1.webhook` false, or
 * `alertWebhookUrl` not set). Azure Monitor sends an address at most 100 e-mails an hour, counted across all
 * subscriptions, and drops the rest ("Email is rate limited to no more than 100 emails every hour to each email
 * address", learn.microsoft.com/azure/azure-monitor/alerts/alerts-troubleshoot; "Rate limiting applies across all
 * subscriptions", alerts-rate-limiting; not adjustable): P1's own resource-health alert (every resource of the stack,
 * components/operations/alerts.ts) can reach that in a regional incident, whatever else shares the address. Webhooks
 * are not rate limited that way. Pure; tests read it.
 */
export function p1PagesByEmailOnly(
  cfg: Pick<PlatformConfig, "alertEmails" | "operations">,
  webhookSet: boolean,
): boolean {
  return !(receiversOf(cfg, "p1").webhook && webhookSet);
}

/**
 * The e-mail addresses P1 shares with this stack's other groups, each with the groups it also serves (their alerts
 * count against the same 100 an hour); empty when P1 pages through the webhook. Pure; tests read it.
 */
export function p1SharedAddresses(
  cfg: Pick<PlatformConfig, "alertEmails" | "operations">,
  webhookSet: boolean,
): { readonly address: string; readonly groups: readonly string[] }[] {
  if (!p1PagesByEmailOnly(cfg, webhookSet)) return [];
  const others: [string, readonly string[]][] = [
    ["P2", receiversOf(cfg, "p2").emails],
    ["P3", receiversOf(cfg, "p3").emails],
    ...(cfg.operations.sentinel ? [["security", securityReceiversOf(cfg).emails] as [string, readonly string[]]] : []),
  ];
  const lower = (a: string) => a.toLowerCase();
  return [...new Set(receiversOf(cfg, "p1").emails.map(lower))]
    .map((address) => ({
      address,
      groups: others.filter(([, emails]) => emails.some((e) => lower(e) === address)).map(([g]) => g),
    }))
    .filter((s) => s.groups.length > 0);
}

/** What a preview says of P1 paging by e-mail only (pure; tests read it). */
export function emailOnlyNote(shared: ReturnType<typeof p1SharedAddresses>): string {
  const sharing =
    shared.length > 0
      ? `; here P1 also shares ${shared.map((s) => `${s.address} (with ${s.groups.join(", ")})`).join(", ")}`
      : "";
  return `Azure Monitor sends an address at most 100 e-mails an hour, across all subscriptions, and drops the rest, and P1's resource-health alert alone (every resource of the stack) can reach that in a regional incident${sharing}`;
}

/** `groupShortName` (max 12 characters: what SMS and e-mail show), e.g. `payprod-p1`. */
export function shortName(workload: string, environment: string, priority: AlertPriority | "sec"): string {
  const full = `${workload}${environment}-${priority}`;
  return full.length <= 12 ? full : `${workload}${environment}`.slice(0, 11 - priority.length) + `-${priority}`;
}

export interface RoutingArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  /** The incident tool's webhook (secret output); added to the priorities whose `webhook` is true. */
  readonly webhookUrl?: pulumi.Input<string>;
  readonly tags: Tags;
}

/** The action group receiver lists whose entries carry a credential in a URL (kept secret in the state). */
export const CREDENTIAL_RECEIVERS = [
  "webhookReceivers",
  "azureFunctionReceivers",
  "logicAppReceivers",
  "automationRunbookReceivers",
] as const;

/**
 * Creates `${name}-ag-p1`, `-p2`, `-p3` and, with Sentinel (`operations.sentinel`), `${name}-ag-security` (children of
 * `parent`).
 */
export function severityActionGroups(name: string, args: RoutingArgs, parent: pulumi.Resource): AlertRouting {
  const cfg = args.context.config;
  const group = (key: AlertPriority | "security", receivers: Receivers) =>
    new monitor.ActionGroup(
      `${name}-ag-${key}`,
      {
        actionGroupName: args.context.name("actionGroup", key),
        resourceGroupName: args.resourceGroupName,
        location: "global",
        groupShortName: shortName(cfg.workload, cfg.environment, key === "security" ? "sec" : key),
        enabled: true,
        emailReceivers: receivers.emails.map((emailAddress, i) => ({
          name: `email-${i + 1}`,
          emailAddress,
          useCommonAlertSchema: true,
        })),
        // Secret even when empty, with every receiver kind that carries a credential in its URL: a receiver added in
        // the portal (a webhook's token, a Logic App's `sig=`, a function's `code=`) comes back in full on the next
        // refresh, and would otherwise reach the state and a `--diff` preview's log in plain text (azure-native marks
        // nothing secret by itself; Pulumi keeps secret what was secret on the way in or is listed here).
        webhookReceivers: pulumi.secret(
          receivers.webhook && args.webhookUrl
            ? [{ name: "incident-webhook", serviceUri: args.webhookUrl, useCommonAlertSchema: true }]
            : [],
        ),
        tags: args.tags,
      },
      { parent, additionalSecretOutputs: [...CREDENTIAL_RECEIVERS] },
    ).id;
  const ids = {} as Record<AlertPriority, pulumi.Output<string>>;
  for (const priority of ALERT_PRIORITIES) ids[priority] = group(priority, receiversOf(cfg, priority));
  const hooked = ALERT_PRIORITIES.filter((p) => receiversOf(cfg, p).webhook);
  const emailOnly = p1PagesByEmailOnly(cfg, args.webhookUrl !== undefined);
  const note = emailOnly ? emailOnlyNote(p1SharedAddresses(cfg, args.webhookUrl !== undefined)) : "";
  if (hooked.length > 0 && !args.webhookUrl)
    void pulumi.log.warn(
      `operations.routing sends ${hooked.join(", ").toUpperCase()} to the incident webhook, but alertWebhookUrl is not set: they page by e-mail only${emailOnly ? ` (${note})` : ""} (pulumi config set --secret alertWebhookUrl <https url>)`,
    );
  else if (emailOnly)
    void pulumi.log.warn(
      `operations.routing.p1.webhook is false: P1 pages by e-mail only (${note}); set it to true, with alertWebhookUrl set (webhooks are not rate limited)`,
    );
  return {
    actionGroupIds: ids,
    ...(cfg.operations.sentinel ? { securityActionGroupId: group("security", securityReceiversOf(cfg)) } : {}),
  };
}
