/** The Azure Monitor rules' type tokens and the retention knob the workspace and table rules share. */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

export const WORKSPACE = "azure-native:operationalinsights:Workspace";

/** The `minRetentionDays` knob of the workspace and table retention rules: 90 days by default (PCI DSS 10.5.1). */
export const minRetentionDaysKnob = (description: string): PolicyConfigJSONSchema => ({
  type: "integer",
  minimum: 4,
  maximum: 730,
  default: 90,
  description,
});
export const TABLE = "azure-native:operationalinsights:Table";
/** An inline ARM deployment, and the ARM type of a workspace table in its template (the table rule reads both). */
export const DEPLOYMENT = "azure-native:resources:Deployment";
export const TABLE_ARM_TYPE = "Microsoft.OperationalInsights/workspaces/tables";
export const COMPONENT = "azure-native:applicationinsights:Component";
export const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
export const PRIVATE_LINK_SCOPE = "azure-native:monitor:PrivateLinkScope";
