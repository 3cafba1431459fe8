/**
 * Operations tier: the seed's SLA table as alerts on the signals that really measure each row (sla.ts), the
 * infrastructure alerts of each tier (infra.ts), routed by severity to the platform's priority action groups
 * (routing.ts), the four dashboards as workbooks (workbooks.ts), Microsoft Sentinel with card-data analytics rules
 * (sentinel.ts), the stack's budget and, in the one stack that owns them, the subscription-wide governance pieces
 * (governance.ts). On-call procedures: docs/runbook.md; recovery: docs/disaster-recovery.md.
 *
 * Every tier input is optional: a tier that is not deployed yet has no alerts, and wiring it later is one line in
 * index.ts (e.g. `etl: { factoryId: etl.factoryId }`).
 */
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as pulumi from "@pulumi/pulumi";
import { uuidv5 } from "../../lib/uuid";
import { deployer, type StackContext } from "../shared";
import {
  createAlert,
  IdTokens,
  operationAlerts,
  resourceHealthAlert,
  serviceHealthAlerts,
  type AlertTarget,
} from "./alerts";
import { budgetStartDate, stackBudget, subscriptionGovernance } from "./governance";
import { infraAlerts } from "./infra";
import type { AlertRouting } from "./routing";
import { tableRetention } from "./retention";
import { SECURITY_INCIDENT_ALERT, sentinel } from "./sentinel";
import { slaAlerts, type OlapLoadSchedule, type SlaTierInputs } from "./sla";
import { WORKBOOK_KINDS, workbookDocument, workbookSpecs, workbookTitle, type WorkbookKind } from "./workbooks";

export { PRIORITY_OF_SEVERITY, actionGroupFor, type AlertRouting, type AlertSeverity } from "./routing";

type Id = pulumi.Input<string>;

/** The tiers the operations tier watches; each block optional (absent = not deployed yet, no alerts). */
export interface OperationsTiers {
  /** OLTP: the payments database(s) (primary first, then geo-secondaries). */
  readonly oltp?: { readonly databaseIds: readonly Id[] };
  /** NoSQL: the Cosmos DB account and its capacity mode. */
  readonly nosql?: { readonly accountId: Id; readonly serverless: boolean; readonly multiRegion: boolean };
  /** OLAP: the dedicated SQL pool and the lake. */
  readonly olap?: { readonly sqlPoolId: Id; readonly lakeAccountId: Id };
  /** Ingestion: the Application Gateway in front of the payments API. */
  readonly ingestion?: { readonly gatewayId: Id };
  /**
   * ETL: the Data Factory, and the warehouse load's schedule (its publish pipeline, how often it runs); without it,
   * any successful pipeline counts as a load, expected every `operations.sla.freshnessMinutes`.
   */
  readonly etl?: { readonly factoryId: Id; readonly olapLoad?: OlapLoadSchedule };
  /** Streaming: the Stream Analytics job that writes to the warehouse. */
  readonly streaming?: { readonly streamingJobId: Id };
  /**
   * The package writer roles of the groups that host function apps (`functionPackageWrites: deploy-window`): Sentinel's
   * package rule counts only their grants as ships.
   */
  readonly functionPackageWriterRoleIds?: readonly Id[];
  /**
   * The platform's own SQL database users (each its managed identity's name), for Sentinel's mass-read rule: `bulk`
   * reads in bulk by design (the ETL's nightly extraction) and is not counted; `apps` (the payment API, the scorer,
   * the streaming loader) never read more than a few rows a call, so one call returning thousands is raised.
   */
  readonly platformSqlPrincipals?: { readonly bulk: readonly string[]; readonly apps: readonly string[] };
}

export interface OperationsArgs extends OperationsTiers {
  readonly context: StackContext;
  /** The monitoring resource group (alerts, workbooks). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The central Log Analytics workspace. */
  readonly workspace: { readonly id: pulumi.Output<string>; readonly name: pulumi.Output<string> };
  /** The platform's action groups per priority. */
  readonly routing: AlertRouting;
  /** The stack's resource groups (budget filter, cost workbook, Resource Health alert scope). */
  readonly resourceGroups: readonly { readonly name: pulumi.Output<string>; readonly id: pulumi.Output<string> }[];
  /** The platform's key vaults by key (their availability pages: every customer-managed key lives there). */
  readonly keyVaults: Readonly<Record<string, Id>>;
  /** The platform deploys Azure Firewall (its threat-intelligence logs exist). */
  readonly firewall: boolean;
  /** Resources whose diagnostic settings create the tables the Sentinel rules read (the rules wait for them). */
  readonly dataSources?: readonly pulumi.Resource[];
  /**
   * Everything that sends logs to the workspace (the tiers): the tables of `logLongTermRetention` wait for them,
   * since Azure creates a table with its first diagnostic setting (retention.ts).
   */
  readonly logSources?: readonly pulumi.Resource[];
}

export class Operations extends pulumi.ComponentResource {
  /** Logical keys of the alert rules created (SLA rows first). */
  public readonly alertKeys: readonly string[];
  /** Workbook resource ids by dashboard. */
  public readonly workbookIds: Readonly<Record<WorkbookKind, pulumi.Output<string>>>;
  public readonly budgetName: string;

  constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:operations:Operations", name, {}, opts);
    const { context } = args;
    const cfg = context.config;
    const ops = cfg.operations;
    const tags = context.tags({ dataClassification: "internal", pciScope: "connected", component: "operations" });
    const subscriptionId = deployer().subscriptionId;
    const ids = new IdTokens();
    const target: AlertTarget = {
      context,
      resourceGroupName: args.resourceGroupName,
      location: cfg.location,
      workspaceId: args.workspace.id,
      routing: args.routing,
      ids,
      tags,
    };

    // The SLA rows for the tiers present, then the infrastructure alerts.
    const slaTiers: SlaTierInputs<string> = {
      ...(args.oltp ? { oltp: true } : {}),
      ...(args.olap ? { olap: { sqlPoolId: ids.token(args.olap.sqlPoolId) } } : {}),
      ...(args.nosql ? { nosql: { accountId: ids.token(args.nosql.accountId) } } : {}),
      ...(args.ingestion ? { ingestion: { gatewayId: ids.token(args.ingestion.gatewayId) } } : {}),
      ...(args.etl
        ? {
            etl: {
              factoryId: ids.token(args.etl.factoryId),
              ...(args.etl.olapLoad ? { olapLoad: args.etl.olapLoad } : {}),
            },
          }
        : {}),
      ...(args.streaming ? { streaming: { streamingJobId: ids.token(args.streaming.streamingJobId) } } : {}),
    };
    const sla = slaAlerts(ops.sla, slaTiers);
    for (const alert of sla) createAlert(name, { ...alert, properties: { sla: alert.sla } }, target, this);
    const infra = infraAlerts({
      ...(args.oltp ? { oltp: { databaseIds: args.oltp.databaseIds.map((d) => ids.token(d)) }, sqlAudit: true } : {}),
      ...(args.nosql
        ? {
            nosql: {
              accountId: ids.token(args.nosql.accountId),
              serverless: args.nosql.serverless,
              multiRegion: args.nosql.multiRegion,
            },
          }
        : {}),
      ...(args.olap
        ? { olap: { sqlPoolId: ids.token(args.olap.sqlPoolId), lakeAccountId: ids.token(args.olap.lakeAccountId) } }
        : {}),
      ...(args.ingestion ? { ingestion: { gatewayId: ids.token(args.ingestion.gatewayId) } } : {}),
      keyVaults: Object.fromEntries(Object.entries(args.keyVaults).map(([k, id]) => [k, ids.token(id)])),
      firewall: args.firewall,
      workspace: true,
    });
    for (const alert of infra) createAlert(name, alert, target, this);
    resourceHealthAlert(name, { ...target, resourceGroupIds: args.resourceGroups.map((g) => g.id) }, this);
    // Subscription-wide, so the stack that governs the subscription raises them (two stacks sharing one would page
    // both groups for each incident).
    if (ops.subscriptionGovernance)
      serviceHealthAlerts(
        name,
        {
          ...target,
          subscriptionId,
          regions: [cfg.location, ...(cfg.secondaryLocation ? [cfg.secondaryLocation] : [])],
        },
        this,
      );
    this.alertKeys = [...sla, ...infra, ...(ops.sentinel ? [SECURITY_INCIDENT_ALERT] : [])].map((a) => a.key);

    // Budget (every stack) and the subscription-wide pieces (the owning stack only).
    this.budgetName = context.name("budget");
    const now = new Date();
    const resourceGroupNames = args.resourceGroups.map((g) => g.name);
    stackBudget(
      name,
      {
        budgetName: this.budgetName,
        subscriptionId,
        amount: ops.budget.amount,
        startDate: budgetStartDate(ops.budget.startDate, now),
        now,
        resourceGroupNames,
        routing: args.routing,
      },
      this,
    );
    const governance = ops.subscriptionGovernance
      ? subscriptionGovernance(
          name,
          {
            subscriptionId,
            keyRotationDays: cfg.keyRotationDays,
            workspaceId: args.workspace.id,
            securityContactEmails: ops.securityContact ? (ops.securityContactEmails ?? cfg.alertEmails) : undefined,
            location: cfg.location,
            tags,
          },
          this,
        )
      : undefined;
    // The activity log alerts the PCI DSS initiative grades, on the subscription the stack governs.
    if (ops.subscriptionGovernance) operationAlerts(name, { ...target, subscriptionId }, this);

    // Sentinel: the rules read what this stack sends (the activity log only where this stack sends it).
    let sentinelOnboarding: pulumi.Resource | undefined;
    if (ops.sentinel) {
      // Its incidents reach security operations: their own action group, whatever the alert's severity.
      const security = args.routing.securityActionGroupId;
      if (!security) throw new Error("Operations: operations.sentinel needs the platform's security action group");
      createAlert(
        name,
        SECURITY_INCIDENT_ALERT,
        { ...target, routing: { actionGroupIds: { p1: security, p2: security, p3: security } } },
        this,
      );
      sentinelOnboarding = sentinel(
        name,
        {
          workspaceName: args.workspace.name,
          resourceGroupName: args.resourceGroupName,
          subscriptionId,
          idSeed: `${cfg.stack}/${name}`,
          sources: {
            sqlAudit: args.oltp !== undefined,
            ...(args.platformSqlPrincipals ? { platformSqlPrincipals: args.platformSqlPrincipals } : {}),
            keyVaultAudit: Object.keys(args.keyVaults).length > 0,
            activityLog: governance !== undefined,
            firewall: args.firewall,
            storageReads: args.olap !== undefined,
            // Only a ship writes the apps' packages: any other write, or a refused one, is raised.
            functionPackages:
              governance !== undefined &&
              cfg.functionPackageWrites === "deploy-window" &&
              (args.functionPackageWriterRoleIds?.length ?? 0) > 0,
            packageWriterGrants: cfg.operations.deployPrincipalId !== undefined,
          },
          after: [...(args.dataSources ?? []), ...(governance ? [governance.activityLog] : [])],
          ...(args.functionPackageWriterRoleIds
            ? {
                packageWriterRoleIds: args.functionPackageWriterRoleIds,
                ...(cfg.operations.deployPrincipalId ? { deployPrincipals: [cfg.operations.deployPrincipalId] } : {}),
              }
            : {}),
          ...(governance ? { defenderPlans: governance.plans } : {}),
        },
        this,
      ).onboarding;
    }

    // Long-term retention of the busiest tables (config logLongTermRetention), after every sender and Sentinel's
    // onboarding: the workspace's resource group is the monitoring group these alerts go to (platform/monitoring.ts).
    if (cfg.logLongTermRetention)
      tableRetention(
        name,
        {
          workspaceName: args.workspace.name,
          resourceGroupName: args.resourceGroupName,
          tables: cfg.logLongTermRetention.tables,
          interactiveDays: cfg.logLongTermRetention.interactiveDays,
          totalDays: cfg.logRetentionDays,
          after: [...(args.logSources ?? []), ...(sentinelOnboarding ? [sentinelOnboarding] : [])],
          tags,
        },
        this,
      );

    // The four dashboards.
    const workbookIds = {} as Record<WorkbookKind, pulumi.Output<string>>;
    const specs = pulumi
      .all([
        subscriptionId,
        pulumi.all(resourceGroupNames),
        pulumi.all(args.olap ? [args.olap.sqlPoolId] : []),
        pulumi.all(args.nosql ? [args.nosql.accountId] : []),
      ])
      .apply(([sub, rgs, pools, accounts]) =>
        workbookSpecs({
          environment: cfg.environment,
          subscriptionId: sub,
          resourceGroupNames: rgs,
          budgetName: this.budgetName,
          synapsePoolIds: pools,
          cosmosAccountIds: accounts,
        }),
      );
    for (const kind of WORKBOOK_KINDS) {
      const workbook = new applicationinsights.Workbook(
        `${name}-workbook-${kind}`,
        {
          // A stable GUID per stack and dashboard (a new one would collide with the old display name).
          resourceName: uuidv5(`${cfg.stack}/${context.naming.location}/workbook/${kind}`),
          resourceGroupName: args.resourceGroupName,
          location: cfg.location,
          kind: applicationinsights.WorkbookSharedTypeKind.Shared,
          category: "workbook",
          displayName: workbookTitle(kind, cfg.environment),
          sourceId: args.workspace.id.apply((id) => id.toLowerCase()),
          serializedData: pulumi
            .all([specs, args.workspace.id])
            .apply(([all, ws]) => JSON.stringify(workbookDocument(specOf(all, kind), ws))),
          tags,
        },
        { parent: this },
      );
      workbookIds[kind] = workbook.id;
    }
    this.workbookIds = workbookIds;

    this.registerOutputs({ alertKeys: this.alertKeys, workbookIds: this.workbookIds, budgetName: this.budgetName });
  }
}

function specOf<S extends { kind: WorkbookKind }>(specs: readonly S[], kind: WorkbookKind): S {
  const spec = specs.find((s) => s.kind === kind);
  if (!spec) throw new Error(`no workbook spec for ${kind}`);
  return spec;
}
