/** The ARM types of the operations tier: alerts, subscription settings, budgets, Defender, Azure Policy, Sentinel. */
import type { ArmSpec } from "./common";

export const OPERATIONS_TYPES: Record<string, ArmSpec> = {
  // Operations tier (components/operations).
  "azure-native:monitor:MetricAlert": { path: "Microsoft.Insights/metricAlerts/{ruleName}" },
  "azure-native:monitor:ActivityLogAlert": { path: "Microsoft.Insights/activityLogAlerts/{activityLogAlertName}" },
  "azure-native:monitor:SubscriptionDiagnosticSetting": {
    path: "providers/Microsoft.Insights/diagnosticSettings/{name}",
    root: "subscription",
  },
  "azure-native:applicationinsights:Workbook": { path: "Microsoft.Insights/workbooks/{resourceName}" },
  "azure-native:costmanagement:Budget": {
    path: "providers/Microsoft.CostManagement/budgets/{budgetName}",
    root: "scope",
  },
  "azure-native:security:Pricing": {
    path: "providers/Microsoft.Security/pricings/{pricingName}",
    root: "scopeId",
  },
  "azure-native:security:SecurityContact": {
    path: "providers/Microsoft.Security/securityContacts/{securityContactName}",
    root: "subscription",
  },
  "azure-native:authorization:PolicyDefinition": {
    path: "providers/Microsoft.Authorization/policyDefinitions/{policyDefinitionName}",
    root: "subscription",
  },
  "azure-native:authorization:PolicyAssignment": {
    path: "providers/Microsoft.Authorization/policyAssignments/{policyAssignmentName}",
    root: "scope",
  },
  "azure-native:securityinsights:SentinelOnboardingState": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/onboardingStates/{sentinelOnboardingStateName}",
  },
  "azure-native:securityinsights:ASCDataConnector": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/dataConnectors/{dataConnectorId}",
  },
  "azure-native:securityinsights:ScheduledAlertRule": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
  },
  "azure-native:securityinsights:MicrosoftSecurityIncidentCreationAlertRule": {
    path: "Microsoft.OperationalInsights/workspaces/{workspaceName}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
  },
};
