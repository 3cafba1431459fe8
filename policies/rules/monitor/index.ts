/**
 * Logging and monitoring: the central Log Analytics workspace, Application Insights, and the diagnostic settings
 * that send every data and security resource's audit logs to the workspace. PCI DSS requirement 10 (log, protect,
 * retain, review); GDPR Art. 30/33 (records, breach detection) and Art. 5(1)(e) (storage limitation, as an upper
 * bound on retention).
 *
 * Retention design (PCI DSS 10.5.1: keep audit log history for at least 12 months, with at least the most recent
 * three months immediately available for analysis). In Log Analytics the workspace's `retentionInDays` is the
 * interactive ("immediately available") retention; longer, cheaper history is set per table
 * (`operationalinsights.Table.totalRetentionInDays`, long-term retention), which this workspace rule cannot see.
 * So: every workspace keeps >= `minRetentionDays` (90) interactively; in `prodStacks` (the CDE) the workspace keeps
 * >= `prodMinRetentionDays` (365) because that is the only 12-month evidence the pack can verify from the workspace
 * itself. A stack that keeps the 12 months through table-level long-term retention sets `prodMinRetentionDays: 90`
 * in its policy config (and must show the table settings to the assessor). `maxRetentionDays` caps retention for
 * GDPR storage limitation.
 *
 * Network design: ingestion is always private (Azure Monitor Private Link Scope); diagnostic settings are unaffected
 * because they deliver over the Azure backbone. Query access is private by default too; `allowPublicQuery: true`
 * lets analysts query from the portal outside the private network, which is acceptable only with the workspace in
 * an AMPLS, local (key) auth disabled and access granted through Entra ID RBAC — the query data may contain personal
 * data, so the default is Disabled.
 */
import type { Policies } from "@pulumi/policy";
import {
  workspaceRetention,
  workspaceDailyCap,
  tableRetention,
  workspaceLocalAuth,
  workspaceNetwork,
} from "./workspace";
import { componentLocalAuth, componentWorkspace, componentNetwork, componentIpMasking } from "./appInsights";
import { diagnosticDestination, diagnosticCoverage } from "./diagnostics";
import { privateLinkScopeAccessMode, activityLogExport } from "./privateLinkScope";

export * from "./shared";
export * from "./workspace";
export * from "./appInsights";
export * from "./diagnostics";
export * from "./privateLinkScope";

export const monitorPolicies: Policies = [
  workspaceRetention,
  workspaceDailyCap,
  tableRetention,
  workspaceLocalAuth,
  workspaceNetwork,
  componentLocalAuth,
  componentWorkspace,
  componentNetwork,
  componentIpMasking,
  diagnosticDestination,
  diagnosticCoverage,
  privateLinkScopeAccessMode,
  activityLogExport,
];
