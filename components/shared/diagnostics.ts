/**
 * Diagnostic settings: every resource sends its logs (category group `allLogs` by default, or `audit`) and
 * metrics (`AllMetrics`, or the categories a type registers: a storage service's, Cosmos DB's `Requests`) to the
 * central Log Analytics workspace, in resource-specific tables where the type has them.
 */
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import type { DiagnosticSettingsTarget } from "./interfaces";

/** Name of the setting on every resource (one per resource; Azure allows five). */
export const DIAGNOSTIC_SETTING_NAME = "to-central-log-analytics";

/**
 * The metric categories of a storage service's diagnostic setting (blob, file, queue, table services): Azure expands
 * `AllMetrics` into these on read at those scopes, so the program names them, and the setting reads back as written
 * (Azure Verified Modules, terraform-azurerm-avm-res-storage-storageaccount `locals.diagnostics.tf`; the categories
 * of the Microsoft.Storage/storageAccounts/*Services supported-metrics pages). The account scope keeps `AllMetrics`.
 * (A refresh would not report the expansion anyway: azure-native carries into the inputs only what changed between
 * two reads, and the first read follows the create.)
 */
export const STORAGE_SERVICE_METRIC_CATEGORIES = {
  blob: ["Capacity", "Transaction"],
  file: ["Capacity", "SLI", "Transaction"],
  queue: ["Capacity", "Transaction"],
  table: ["Capacity", "Transaction"],
} as const;

export type StorageDiagnosticService = keyof typeof STORAGE_SERVICE_METRIC_CATEGORIES;

/**
 * A Cosmos DB account's metric category: `Requests` (Microsoft's landing-zone policy Deploy-Diagnostics-CosmosDB
 * sends exactly that), not `AllMetrics`.
 */
export const COSMOS_DB_METRIC_CATEGORIES = ["Requests"] as const;

/** Creates `${name}-diag` on `resourceUri`, a child of `parent`: metrics `metricCategories`, else `AllMetrics`. */
export function diagnosticSetting(
  name: string,
  resourceUri: pulumi.Input<string>,
  target: DiagnosticSettingsTarget,
  parent: pulumi.Resource,
  metricCategories?: readonly string[],
  /** Left in Azure when the program drops it (a retained resource keeps logging its reads). */
  retainOnDelete = false,
): monitor.DiagnosticSetting {
  const groups = target.logCategoryGroups ?? ["allLogs"];
  const metrics =
    target.metrics === false
      ? []
      : (metricCategories ?? ["AllMetrics"]).map((category) => ({ category, enabled: true }));
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
      metrics,
    },
    { parent, ...(retainOnDelete ? { retainOnDelete } : {}) },
  );
}

/**
 * A storage service's diagnostic setting (`${name}-diag` on `<account>/<service>Services/default`): storage logs
 * (reads, writes, deletes, authorisation failures) live on the services, not the account, and the metrics are the
 * service's own categories.
 */
export function storageServiceDiagnostics(
  name: string,
  accountId: pulumi.Input<string>,
  service: StorageDiagnosticService,
  target: DiagnosticSettingsTarget,
  parent: pulumi.Resource,
  retainOnDelete = false,
): monitor.DiagnosticSetting {
  return diagnosticSetting(
    name,
    pulumi.interpolate`${accountId}/${service}Services/default`,
    target,
    parent,
    STORAGE_SERVICE_METRIC_CATEGORIES[service],
    retainOnDelete,
  );
}
