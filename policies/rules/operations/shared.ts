/** The operations rules' type tokens. */
export const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
export const METRIC_ALERT = "azure-native:monitor:MetricAlert";
export const LOG_ALERT = "azure-native:monitor:ScheduledQueryRule";
export const ACTIVITY_LOG_ALERT = "azure-native:monitor:ActivityLogAlert";
export const WORKSPACE = "azure-native:operationalinsights:Workspace";
export const SENTINEL = "azure-native:securityinsights:SentinelOnboardingState";
export const SUBSCRIPTION_DIAGNOSTIC_SETTING = "azure-native:monitor:SubscriptionDiagnosticSetting";
