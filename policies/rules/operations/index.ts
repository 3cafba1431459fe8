/**
 * Operations: what the operations tier guarantees at run time. Stateful data stores are watched (their diagnostics
 * reach the workspace and an alert rule watches them), every alert reaches people (an action group), and the
 * production workspace runs Microsoft Sentinel. PCI DSS requirement 10.4.1 (review of security events), 10.7
 * (failures of critical security controls detected and responded to) and 12.10 (incident response). alerts.ts: the
 * data stores watched and the alerts reaching people; governance.ts: Sentinel and the subscription governance.
 */
import type { Policies } from "@pulumi/policy";
import {
  actionGroupReceivers,
  alertActionGroup,
  alertsEnabled,
  alertStackActionGroup,
  dataStoreAlerts,
} from "./alerts";
import { governanceActivityLog, governanceDefenderPlans, governancePciInitiative, prodSentinel } from "./governance";

export * from "./alerts";
export * from "./governance";

export const operationsPolicies: Policies = [
  dataStoreAlerts,
  alertActionGroup,
  alertStackActionGroup,
  actionGroupReceivers,
  alertsEnabled,
  prodSentinel,
  governanceActivityLog,
  governanceDefenderPlans,
  governancePciInitiative,
];
