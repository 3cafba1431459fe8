/**
 * Diagnostic settings: every resource sends its logs (category group `allLogs` by default, or `audit`) and
 * `AllMetrics` to the central Log Analytics workspace, in resource-specific tables where the type has them.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import type * as pulumi from "@pulumi/pulumi";
import type { DiagnosticSettingsTarget } from "./interfaces";

/** Name of the setting on every resource (one per resource; Azure allows five). */
export const DIAGNOSTIC_SETTING_NAME = "to-central-log-analytics";

/** Creates `${name}-diag` on `resourceUri`, a child of `parent`. */
export function diagnosticSetting(
  name: string,
  resourceUri: pulumi.Input<string>,
  target: DiagnosticSettingsTarget,
  parent: pulumi.Resource,
): monitor.DiagnosticSetting {
  const groups = target.logCategoryGroups ?? ["allLogs"];
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: DIAGNOSTIC_SETTING_NAME,
      resourceUri,
      workspaceId: target.workspaceId,
      ...(target.destination === "AzureDiagnostics" ? {} : { logAnalyticsDestinationType: "Dedicated" }),
      logs: target.logCategories
        ? target.logCategories.map((category) => ({ category, enabled: true }))
        : groups.map((categoryGroup) => ({ categoryGroup, enabled: true })),
      metrics: target.metrics === false ? [] : [{ category: "AllMetrics", enabled: true }],
    },
    { parent },
  );
}
