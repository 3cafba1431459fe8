/**
 * Long-term retention of the workspace's busiest tables (config `logLongTermRetention`, lib/config/logRetention.ts):
 * each listed table keeps `interactiveDays` of logs immediately queryable and the rest of `logRetentionDays` in
 * long-term retention, at $0.026 a GB-month against $0.13 for interactive retention (tools/lib/cost/prices.ts); the
 * workspace keeps its own `retentionInDays` for every other table.
 *
 * - A `Table` PUT on a built-in table sets its retention; it sends no `schema`, which on an Azure table would replace
 *   its custom columns ("To delete all custom columns from a table, send a PUT request with an empty columns array",
 *   azure-monitor-docs articles/azure-monitor/logs/create-custom-table.md), and both retention values, which a PUT
 *   left without resets to the defaults ("The PUT API sets retentionInDays and totalRetentionInDays to the default
 *   value if you don't set non-null values", data-retention-configure.md).
 * - Azure tables "can't be deleted" (data-retention-configure.md), and azure-native would send a DELETE when the
 *   program drops a table (its list of resources reset by a PUT on delete has no tables): `retainOnDelete` leaves the
 *   table and its retention as they are, and docs/operations.md ("Long-term retention of the audit tables") gives the
 *   command that returns a table to the workspace's retention, what Terraform's table resource does on destroy.
 * - Azure creates an Azure table "automatically based on Azure services you use and diagnostic settings you
 *   configure" (manage-logs-tables): each table waits for everything that sends to the workspace (`after`), and the
 *   tables go one after another, so the workspace never takes two table updates at once.
 */
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";

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
  /** What fills the tables: their diagnostic settings, which make Azure create them. */
  readonly after?: readonly pulumi.Resource[];
}

/** The table settings, one resource per table, in the order given. */
export function tableRetention(
  name: string,
  args: TableRetentionArgs,
  parent: pulumi.Resource,
): operationalinsights.Table[] {
  const tables: operationalinsights.Table[] = [];
  for (const tableName of args.tables) {
    const previous = tables.at(-1);
    tables.push(
      new operationalinsights.Table(
        `${name}-retention-${tableName}`,
        {
          workspaceName: args.workspaceName,
          resourceGroupName: args.resourceGroupName,
          tableName,
          plan: operationalinsights.TablePlanEnum.Analytics,
          retentionInDays: args.interactiveDays,
          totalRetentionInDays: args.totalDays,
        },
        { parent, dependsOn: [...(args.after ?? []), ...(previous ? [previous] : [])], retainOnDelete: true },
      ),
    );
  }
  return tables;
}
