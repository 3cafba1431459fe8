/**
 * Long-term retention of the workspace's busiest tables (config `logLongTermRetention`, lib/config/logRetention.ts):
 * each listed table keeps `interactiveDays` of logs immediately queryable and the rest of `logRetentionDays` in
 * long-term retention, at $0.026 a GB-month against $0.13 for interactive retention (tools/lib/cost/prices/); the
 * workspace keeps its own `retentionInDays` for every other table.
 *
 * - Through an inline ARM deployment, not `operationalinsights.Table`: Azure creates its tables itself, and
 *   azure-native refuses to create a resource whose GET already answers 200 ("cannot create already existing
 *   resource": pulumi-azure-native provider.go `defaultCreate` → `CanCreate`; tables are not among the resources its
 *   defaultResourcesState.go updates in place), as for the Synapse workspace's key and SQL settings
 *   (components/olap/settings.ts). The template is Microsoft's for a table's retention (azure-monitor-docs
 *   articles/azure-monitor/logs/data-retention-configure.md, "Resource Manager template") without its workspace
 *   entry (in Incremental mode a workspace declared with only its location would rewrite its other settings): a PUT of
 *   `workspaces/tables/<table>` with both retention values (a PUT resets one left out: "The PUT API sets
 *   retentionInDays and totalRetentionInDays to the default value if you don't set non-null values"), no `plan` (every
 *   listed table is on Analytics already) and no `schema` (a PUT with one replaces an Azure table's custom columns:
 *   "To delete all custom columns from a table, send a PUT request with an empty columns array", create-custom-table).
 * - Deleting the deployment (the key turned off) deletes its record only: the tables keep their retention until
 *   `az monitor log-analytics workspace table update ... --retention-time -1 --total-retention-time -1` returns them to
 *   the workspace's (docs/operations.md, "Long-term retention of the busiest tables").
 * - Azure creates an Azure table "automatically based on Azure services you use and diagnostic settings you
 *   configure" (manage-logs-tables): the deployment waits for everything that sends to the workspace and for Sentinel's
 *   onboarding of it (`after`); the tables go one after another inside it (`dependsOn`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";

/** ARM type of a workspace's table, and the Tables API version the template uses (azure-native 3.28's default). */
export const TABLE_TYPE = "Microsoft.OperationalInsights/workspaces/tables";
export const TABLES_API_VERSION = "2023-09-01";

/** A template entry's name for `table` of the `workspaceName` parameter's workspace. */
export const tableEntryName = (table: string): string => `[concat(parameters('workspaceName'), '/${table}')]`;

/** The table an entry name of `tableRetentionTemplate` names (its last segment), or undefined for another shape. */
export function tableOfEntryName(name: string): string | undefined {
  return /^\[concat\(parameters\('workspaceName'\), '\/([A-Za-z0-9_]+)'\)\]$/.exec(name)?.[1];
}

/**
 * The ARM template that sets the tables' retention (pure): one entry per table, each after the previous one, with the
 * retention values as literals (the pack's table rule and the estimator read them); the workspace is a parameter.
 */
export function tableRetentionTemplate(
  tables: readonly string[],
  interactiveDays: number,
  totalDays: number,
): Record<string, unknown> {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { workspaceName: { type: "string" } },
    resources: tables.map((table, i) => ({
      type: TABLE_TYPE,
      apiVersion: TABLES_API_VERSION,
      name: tableEntryName(table),
      properties: { retentionInDays: interactiveDays, totalRetentionInDays: totalDays },
      ...(i > 0
        ? { dependsOn: [`[resourceId('${TABLE_TYPE}', parameters('workspaceName'), '${tables[i - 1]}')]`] }
        : {}),
    })),
  };
}

export interface TableRetentionArgs {
  /** The workspace's name and resource group. */
  readonly workspaceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  /** The tables (lib/config LONG_TERM_RETENTION_TABLES). */
  readonly tables: readonly string[];
  /** Days immediately queryable (`retentionInDays`). */
  readonly interactiveDays: number;
  /** Days in all, interactive and long-term (`totalRetentionInDays`): the workspace's `logRetentionDays`. */
  readonly totalDays: number;
  /** What fills the tables (their diagnostic settings, which make Azure create them) and Sentinel's onboarding. */
  readonly after?: readonly pulumi.Resource[];
  readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** `${name}-table-retention`: the deployment, a child of `parent`. */
export function tableRetention(name: string, args: TableRetentionArgs, parent: pulumi.Resource): resources.Deployment {
  return new resources.Deployment(
    `${name}-table-retention`,
    {
      deploymentName: pulumi.interpolate`${args.workspaceName}-table-retention`,
      resourceGroupName: args.resourceGroupName,
      properties: {
        mode: resources.DeploymentMode.Incremental,
        template: tableRetentionTemplate(args.tables, args.interactiveDays, args.totalDays),
        parameters: { workspaceName: { value: args.workspaceName } },
      },
      tags: args.tags,
    },
    { parent, dependsOn: [...(args.after ?? [])] },
  );
}
