/**
 * Microsoft Sentinel's scheduled analytics rules for the threats that matter to card data (sentinel.ts creates them):
 * what each reads, how often, and which entities it maps. Rule creation runs the query and fails while a table does
 * not exist yet ("Failed to run the analytics rule query. One of the tables does not exist"; no skip flag on Sentinel
 * rules), and a table appears only once its first rows arrive. Each rule therefore reads its table through
 * `union isfuzzy=true` with an empty `datatable` of the columns it reads (`RULE_COLUMNS`, kql.ts, typed as Microsoft's
 * table reference types them, so a real table's columns merge into the same ones): the query resolves on a new
 * workspace, and the first `pulumi up` creates the rules.
 */
import * as securityinsights from "@pulumi/azure-native/securityinsights";
import { DEPLOYMENT_CONTAINER } from "../shared";
import { isoMinutes } from "./sla";
import {
  PRIVILEGED_ROLES,
  AUDIT_TRAIL_OR_ACCESS_OPERATIONS,
  SHIP_WINDOW_MINUTES,
  SHIP_SETTLE_MINUTES,
  PACKAGE_WRITER_ROLES_TOKEN,
  DEPLOYERS_TOKEN,
  ROLE_ASSIGNMENT_STARTS,
  GRANTS_TO_PRINCIPALS,
  STORAGE_BULK_READ,
  APP_STATEMENT_ROWS,
} from "./watched";
import { failedSqlLogins, ruleSource, SYNAPSE_SQL_AUDIT, type AlsoRead, type RuleTable } from "./kql";

/** What the rules can read in this stack (each rule needs its table to be sent to the workspace). */
export interface SentinelSources {
  /**
   * The SQL engines and their auditing to the workspace (AzureDiagnostics, SQLSecurityAuditEvents); failed logins
   * also read Microsoft Entra's sign-in tables, which the tenant's diagnostic setting sends (docs/operations.md).
   */
  readonly sqlAudit: boolean;
  /**
   * With `sqlAudit`: the platform's own database users. `bulk` (the ETL) is not counted by the mass-read rule; `apps`
   * are raised when one call returns more than `APP_STATEMENT_ROWS` rows, never by their hourly sum (the payment API's
   * inserts each return a row, 10K a second).
   */
  readonly platformSqlPrincipals?: { readonly bulk: readonly string[]; readonly apps: readonly string[] };
  /** Key Vault audit logs (AZKVAuditLogs). */
  readonly keyVaultAudit: boolean;
  /** The subscription's activity log in this workspace (AzureActivity). */
  readonly activityLog: boolean;
  /** Azure Firewall threat-intelligence logs (AZFWThreatIntel). */
  readonly firewall: boolean;
  /** The storage accounts' read logs (StorageBlobLogs: the lake's among them); default false. */
  readonly storageReads?: boolean;
  /**
   * Function apps whose packages only a ship writes (`functionPackageWrites: deploy-window`), their host storage's blob
   * logs and the activity log in the workspace; default false.
   */
  readonly functionPackages?: boolean;
  /** With `functionPackages`: the deploy identity is known (`operations.deployPrincipalId`), so grants by others stand out. */
  readonly packageWriterGrants?: boolean;
}

export interface AnalyticsRule {
  readonly key: string;
  readonly displayName: string;
  readonly description: string;
  readonly severity: securityinsights.AlertSeverity;
  readonly query: string;
  readonly queryFrequency: string;
  readonly queryPeriod: string;
  readonly tactics: readonly securityinsights.AttackTactic[];
  readonly techniques: readonly string[];
  readonly entities: readonly {
    readonly type: securityinsights.EntityMappingType;
    readonly identifier: string;
    readonly column: string;
  }[];
}

/**
 * Late data. Azure delivers resource logs 3–10 minutes and the activity log 3–20 minutes after the event (Learn, "Log
 * data ingestion time in Azure Monitor"); Sentinel runs a rule five minutes after its scheduled time and its lookback
 * filters on TimeGenerated, so with a lookback equal to the interval a later event is never seen ("Handle ingestion
 * delay in scheduled analytics rules"). Each rule looks back its interval plus this many minutes (rounded up to
 * whole hours) and keeps only the events ingested during one interval that ended five minutes ago: consecutive runs
 * partition ingestion time, so every event is counted once, whether or not Sentinel shifts the lookback by its delay.
 */
export const LATE_DATA_MINUTES = 45;
/** How long before a run the ingestion window ends (Sentinel's own run delay). */
const SETTLE_MINUTES = 5;

/**
 * The parts of an Azure ML operation name (the activity log's `OperationNameValue`, upper case) that change a
 * workspace's network path: the GA outbound rules (`workspaces/outboundRules`), the managed network and its rules
 * (`workspaces/managedNetworks/…`) and private endpoint connections into the workspace.
 */
export const ML_NETWORK_PATHS = ["/OUTBOUNDRULES/", "/MANAGEDNETWORKS/", "/PRIVATEENDPOINTCONNECTIONS/"] as const;

/** The ingestion window of a rule run every `everyMinutes` (see LATE_DATA_MINUTES). */
function ingestionWindow(everyMinutes: number): string {
  return `| where ingestion_time() > ago(${everyMinutes + SETTLE_MINUTES}m) and ingestion_time() <= ago(${SETTLE_MINUTES}m)`;
}

/** The schedule of a rule run every `everyMinutes`: its frequency and its lookback (late data, whole hours). */
function schedule(everyMinutes: number): Pick<AnalyticsRule, "queryFrequency" | "queryPeriod"> {
  return {
    queryFrequency: isoMinutes(everyMinutes),
    queryPeriod: isoMinutes(Math.ceil((everyMinutes + LATE_DATA_MINUTES) / 60) * 60),
  };
}

/**
 * The query (the table's rows ingested during one interval, unioned with an empty table of the columns the steps
 * read, then `steps`) and schedule of a rule run every `everyMinutes`.
 */
function scheduled(
  everyMinutes: number,
  table: RuleTable,
  steps: readonly string[],
  also?: AlsoRead,
): Pick<AnalyticsRule, "query" | "queryFrequency" | "queryPeriod"> {
  return {
    query: [ruleSource(table, ingestionWindow(everyMinutes), also), ...steps].join("\n"),
    ...schedule(everyMinutes),
  };
}

/** A KQL list of string literals. */
const kqlList = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(", ");

/** The analytics rules whose tables this stack sends (pure). */
export function analyticsRules(s: SentinelSources): AnalyticsRule[] {
  const rules: AnalyticsRule[] = [];
  const { AlertSeverity: Sev, AttackTactic: Tactic, EntityMappingType: Entity } = securityinsights;
  if (s.sqlAudit) {
    rules.push(
      {
        key: "sql-mass-export",
        displayName: "Card data: mass read from the payments database or the warehouse",
        description:
          "One principal read more than 100,000 rows from the payments database or the Synapse warehouse in an hour, or one of the platform's applications more than 5,000 in one call (SQL audit: batches and remote procedure calls): possible bulk exfiltration of card or payment data.",
        severity: Sev.High,
        // Rows returned to the client ("Number of rows returned in the result set", azure-sql/database/audit-log-format),
        // the column Microsoft's own exfiltration hunting reads: a write returns none, so no statement text is parsed
        // (a leading comment or `SET NOCOUNT ON;` would defeat a text filter). Batches and RPCs alike: a scripted bulk
        // read is usually parameterised (RPC COMPLETED), as Microsoft's own rule on this column reads both (RCM, BCM).
        // The platform's applications hold the widest grants and face the internet: their calls each return a row or
        // a batch of changes, so one call returning thousands is theft through them, while their hourly sum (10K
        // inserts a second each return a row) says nothing. The ETL's nightly extraction reads in bulk by design and
        // is not counted. Matched by database user name (each its managed identity's): a database owner impersonating
        // one (EXECUTE AS USER) raises `sql-impersonation` instead.
        ...scheduled(
          60,
          "AzureDiagnostics",
          [
            '| where Category == "SQLSecurityAuditEvents" and action_name_s in ("BATCH COMPLETED", "RPC COMPLETED")',
            // "1 = success, 0 = fail" in the audit format, "true"/"false" as AzureDiagnostics carries it: tobool takes both.
            "| where tobool(succeeded_s)",
            ...(s.platformSqlPrincipals?.bulk.length
              ? [`| where not(database_principal_name_s in~ (${kqlList(s.platformSqlPrincipals.bulk)}))`]
              : []),
            `| extend App = ${s.platformSqlPrincipals?.apps.length ? `database_principal_name_s in~ (${kqlList(s.platformSqlPrincipals.apps)})` : "false"}`,
            "| summarize RowsRead = sum(iff(App, 0.0, response_rows_d)), LargestAppCall = max(iff(App, response_rows_d, 0.0)), Statements = count() by Principal = server_principal_name_s, DatabaseUser = database_principal_name_s, ClientIp = client_ip_s, Database = database_name_s",
            `| where RowsRead > 100000 or LargestAppCall > ${APP_STATEMENT_ROWS}`,
          ],
          SYNAPSE_SQL_AUDIT,
        ),
        tactics: [Tactic.Exfiltration, Tactic.Collection],
        techniques: ["T1213"],
        entities: [
          { type: Entity.Account, identifier: "Name", column: "Principal" },
          { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        ],
      },
      {
        key: "sql-impersonation",
        displayName: "Data stores: a session took another database user's identity",
        description:
          "A session in the payments database or the Synapse warehouse impersonated another principal (EXECUTE AS USER or LOGIN, SETUSER), or tried to: none of the platform's code does, and a database owner taking an application's or the ETL's identity reads under its name, past the mass-read rule's exclusions.",
        severity: Sev.High,
        // Two sources, so neither engine's gap hides it: the OLTP database audits impersonation as its own action
        // (DATABASE_PRINCIPAL_IMPERSONATION_GROUP, components/oltp/settings.ts: action id `IMP`, its name holding
        // "IMPERSONATE"), which dynamic SQL cannot hide; Synapse audits its default groups only, so there the batch's
        // text is read (BATCH COMPLETED records it; a statement built by string concatenation inside dynamic SQL
        // would evade this on the pool, not on the OLTP database). `WITH EXECUTE AS OWNER` in a module definition is
        // not impersonation by a session and does not match (neither USER nor LOGIN follows AS).
        ...scheduled(
          60,
          "AzureDiagnostics",
          [
            '| where Category == "SQLSecurityAuditEvents"',
            '| where trim(@"\\s", action_id_s) == "IMP" or action_name_s contains "IMPERSONAT" or (action_name_s in ("BATCH COMPLETED", "RPC COMPLETED") and statement_s matches regex @"(?i)\\b(EXEC(UTE)?\\s+AS\\s+(USER|LOGIN)|SETUSER)\\b")',
            "| summarize Events = count(), Statements = make_set(statement_s, 5) by Principal = server_principal_name_s, DatabaseUser = database_principal_name_s, ClientIp = client_ip_s, Database = database_name_s",
          ],
          SYNAPSE_SQL_AUDIT,
        ),
        tactics: [Tactic.PrivilegeEscalation, Tactic.DefenseEvasion],
        techniques: ["T1078"],
        entities: [
          { type: Entity.Account, identifier: "Name", column: "Principal" },
          { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        ],
      },
      {
        key: "sql-repeated-failed-logins",
        displayName: "Repeated failed logins to the data stores",
        description:
          "More than 10 failed logins from one client address to Azure SQL (the payments database or Synapse SQL) in an hour: Microsoft Entra sign-ins to Azure SQL Database that failed (users, service principals, managed identities) and the SQL audit's failed authentications. Password spraying or a misconfigured client. Needs the tenant's Entra sign-in logs in this workspace (docs/runbook.md#sql-failed-logins).",
        severity: Sev.Medium,
        query: [
          failedSqlLogins(ingestionWindow(60)),
          "| summarize Failures = count(), Principals = make_set(Principal, 20) by ClientIp",
          "| where Failures > 10",
          // One row per principal tried from the address, so the incident names each account (entity mapping).
          "| mv-expand Principal = Principals to typeof(string)",
        ].join("\n"),
        ...schedule(60),
        tactics: [Tactic.CredentialAccess],
        techniques: ["T1110"],
        entities: [
          { type: Entity.Account, identifier: "FullName", column: "Principal" },
          { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        ],
      },
    );
  }
  if (s.keyVaultAudit) {
    rules.push({
      key: "key-vault-key-destruction",
      displayName: "Key Vault: key or secret deleted, purged or updated, or a vault's settings changed",
      description:
        "A customer-managed key, the Always Encrypted key or a secret was deleted, purged or updated (disabling a key is an update), a key's rotation policy changed, or a vault's settings were written (its firewall or private endpoint access among them, which Microsoft lists among the ways a server loses its TDE protector): encrypted data stores lose access; crypto-shredding of card data. A vault or rotation policy change a reviewed deploy applied is benign.",
      severity: Sev.High,
      ...scheduled(15, "AZKVAuditLogs", [
        '| where OperationName in ("KeyDelete", "KeyPurge", "KeyUpdate", "KeyRotationPolicySet", "SecretDelete", "SecretPurge", "SecretUpdate", "CertificateUpdate", "VaultDelete", "VaultPut", "VaultPatch")',
        '| where ResultType == "Success"',
        "| project TimeGenerated, OperationName, RequestUri, ClientIp = CallerIpAddress, Caller = tostring(Identity), _ResourceId",
      ]),
      tactics: [Tactic.Impact],
      techniques: ["T1485"],
      entities: [
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.activityLog) {
    const roles = PRIVILEGED_ROLES.map((r) => `"${r}"`).join(", ");
    rules.push({
      key: "privileged-role-assignment",
      displayName: "Privileged role assigned in the subscription",
      description:
        "An assignment of Owner, User Access Administrator, Contributor, RBAC Administrator or Key Vault Administrator was requested: outside a reviewed pull request this is privilege escalation.",
      severity: Sev.High,
      ...scheduled(15, "AzureActivity", [
        ...ROLE_ASSIGNMENT_STARTS,
        `| where RoleDefinitionId in~ (${roles})`,
        "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, RoleDefinitionId, ResourceGroup, _ResourceId",
      ]),
      tactics: [Tactic.PrivilegeEscalation, Tactic.Persistence],
      techniques: ["T1098"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "Caller" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
      ],
    });
  }
  if (s.activityLog) {
    // The fraud/ML team's role keeps Data Scientist's writes inside a workspace, and its NotActions can name only the
    // managed network's published operation names (components/ml/settings.ts, TEAM_NETWORK_NOT_ACTIONS): a write to
    // the GA path `…/workspaces/<ws>/outboundRules/<rule>` may still pass. So every change of a workspace's network
    // path is watched here, whoever makes it and whatever the operation's exact name: outbound rules (a private
    // endpoint or FQDN to anywhere, a way out for data), the managed network itself, and private endpoint connections
    // into the workspace. The stack's own changes (a reviewed pull request) raise it too, as the role rule does.
    rules.push({
      key: "ml-workspace-network-change",
      displayName: "Azure ML: a workspace's outbound rules, managed network or private endpoint connections changed",
      description:
        "An outbound rule, the managed network or a private endpoint connection of an Azure Machine Learning workspace was written or deleted: outside a reviewed pull request that changes the ML tier, this opens a way out of (or into) the workspace's isolated network. docs/ml-operations.md",
      severity: Sev.Medium,
      ...scheduled(15, "AzureActivity", [
        '| where OperationNameValue startswith "MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/"',
        `| where ${ML_NETWORK_PATHS.map((p) => `OperationNameValue contains "${p}"`).join(" or ")}`,
        '| where ActivityStatusValue in~ ("Success", "Succeeded")',
        "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, OperationNameValue, ResourceGroup, _ResourceId",
      ]),
      tactics: [Tactic.Exfiltration, Tactic.DefenseEvasion],
      techniques: ["T1537", "T1562"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "Caller" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.activityLog) {
    // What an intruder holding the deploy identity (Owner of the subscription) does that no role assignment shows:
    // weaken the audit trail, everything of which but the activity log lives in the one workspace (unlocked in prod:
    // Sentinel takes no lock), or keep a way in with a data-plane grant, a SQL admin or a federated credential on a
    // managed identity (which outlives the deploy identity's revocation). PCI DSS 10.2.1.6 (audit logs stopped) and
    // 10.2.1.7 (system-level objects deleted) are logged; this makes them reviewed (10.4.1). The stack's own deploys
    // raise it too when they make such a change, as the role rule does.
    rules.push({
      key: "audit-trail-or-access-change",
      displayName: "Audit trail weakened, or data access or a way in granted outside the role watch",
      description:
        "A diagnostic setting, an alert or analytics rule, an action group, a data connector or the VNet's flow log was deleted or rewritten, a lock or the audit workspace deleted, Sentinel offboarded, an alert processing rule or a Sentinel automation rule written (muting alerts, closing incidents), the workspace rewritten, its data purged or a table's retention changed, a Defender for Cloud plan or the security contact written (a plan set back to Free), or a SQL Entra admin, a SQL firewall rule, a Cosmos DB data-plane role assignment or a federated credential on a managed identity written: outside a reviewed pull request this is an intruder covering their tracks or keeping a way back in. docs/runbook.md",
      severity: Sev.High,
      ...scheduled(15, "AzureActivity", [
        `| where OperationNameValue in~ (${AUDIT_TRAIL_OR_ACCESS_OPERATIONS.map((o) => `"${o}"`).join(", ")})`,
        '| where ActivityStatusValue in~ ("Success", "Succeeded")',
        "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, OperationNameValue, ResourceGroup, _ResourceId",
      ]),
      tactics: [Tactic.DefenseEvasion, Tactic.Persistence],
      techniques: ["T1562", "T1098"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "Caller" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.storageReads) {
    // What a data engineer can read in bulk outside SQL: the lake (curated and raw zones) through Entra auth. Only
    // people are counted (a request with a UPN): the factory's, the pool's and the ML workspace's identities read the
    // lake every night and carry none. Defender for Storage's anomaly alerts come on top, on Microsoft's models.
    rules.push({
      key: "storage-bulk-read",
      displayName: "Data lake: one person read more than 5 GiB or 5,000 files in an hour",
      description:
        "A person (an Entra account, not a service identity) downloaded more than 5 GiB or more than 5,000 distinct files from a storage account in an hour, the lake's curated and raw zones among them: possible bulk exfiltration of payment data. docs/runbook.md, containment.",
      severity: Sev.High,
      // Served reads (200, or 206 for a range: download tools read large files in ranges over many connections),
      // per person and account: CallerIpAddress carries the connection's port ("IP address of the requester,
      // including the port number", the table's reference), so grouping by it would split one download into pieces
      // under the threshold; the addresses are kept as a set, the port stripped.
      ...scheduled(60, "StorageBlobLogs", [
        '| where OperationName in ("GetBlob", "ReadFile") and StatusCode in ("200", "206") and isnotempty(RequesterUpn)',
        '| extend Ip = coalesce(extract(@"^\\[?([^\\]]+?)\\]?:[0-9]+$", 1, CallerIpAddress), CallerIpAddress), File = tostring(split(Uri, "?")[0])',
        "| summarize Bytes = sum(ResponseBodySize), Files = dcount(File), Ips = make_set(Ip, 10), ClientIp = take_any(Ip) by RequesterUpn, AccountName",
        `| where Bytes > ${STORAGE_BULK_READ.bytes} or Files > ${STORAGE_BULK_READ.files}`,
      ]),
      tactics: [Tactic.Exfiltration, Tactic.Collection],
      techniques: ["T1530"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "RequesterUpn" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
      ],
    });
  }
  if (s.functionPackages) {
    // A write in a function app's package container, allowed or refused, outside a ship: only a ship's grant lets the
    // app's identity write there (pipelines/functions/README.md), so a write outside one means a grant made elsewhere
    // (the control bypassed), and a refused one means code running as the app tried to replace what its next start
    // boots. A ship's own writes (and refusals while its grant propagates) follow a grant to the same identity within
    // SHIP_WINDOW_MINUTES. Every write, delete and refusal of the container and its blobs: the StorageWrite and
    // StorageDelete categories, the container's own operations (`…/app-package?restype=container`) included.
    const every = 60;
    rules.push({
      key: "function-package-write-outside-ship",
      displayName: "Function app: its deployment package written, or a write tried, outside a ship",
      description:
        "A blob of a function app's package container (app-package), or the container, was written, deleted or had a write refused, with no ship's grant (a package writer role) to the requester in the 30 minutes before: code running as the app trying to replace what its next start boots (refused), or a grant made outside the deploy workflow that lets it (written). docs/runbook.md, containment (a function app's identity).",
      severity: Sev.High,
      query: [
        GRANTS_TO_PRINCIPALS,
        ruleSource(
          "StorageBlobLogs",
          `| where ingestion_time() > ago(${every + SHIP_SETTLE_MINUTES}m) and ingestion_time() <= ago(${SHIP_SETTLE_MINUTES}m)`,
        ),
        '| where Category in ("StorageWrite", "StorageDelete")',
        `| where Uri matches regex @"/${DEPLOYMENT_CONTAINER}([/?]|$)"`,
        "| extend Principal = tolower(RequesterObjectId)",
        "| join kind=leftouter (grants) on Principal",
        `| summarize InShip = countif(TimeGenerated between (GrantTime .. (GrantTime + ${SHIP_WINDOW_MINUTES}m))) by TimeGenerated, AccountName, OperationName, StatusCode, RequesterObjectId, CallerIpAddress, Uri, _ResourceId`,
        "| where InShip == 0",
        '| extend Ip = coalesce(extract(@"^\\[?([^\\]]+?)\\]?:[0-9]+$", 1, CallerIpAddress), CallerIpAddress), Blob = tostring(split(Uri, "?")[0])',
        '| summarize Writes = count(), Refused = countif(StatusCode == "403"), Operations = make_set(OperationName, 10), Blobs = make_set(Blob, 10), ClientIp = take_any(Ip) by AccountName, RequesterObjectId, _ResourceId',
      ].join("\n"),
      // The blob rows read settle half an hour: those of the hour ending 30 minutes ago, and the grants up to 30
      // minutes before the oldest of them, with their own lateness: three hours back.
      queryFrequency: isoMinutes(every),
      queryPeriod: isoMinutes(180),
      tactics: [Tactic.Persistence, Tactic.DefenseEvasion],
      techniques: ["T1525"],
      entities: [
        { type: Entity.Account, identifier: "AadUserId", column: "RequesterObjectId" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.functionPackages && s.packageWriterGrants) {
    // A package writer role granted by anyone but the deploy identity: the one grant the package rule takes for a ship,
    // so made by hand it would hide the writes that follow it. Manual ships by an operator (the runbook's clean
    // redeploy) raise it too, on purpose: they are reviewed.
    rules.push({
      key: "package-writer-granted-outside-deploy",
      displayName: "Function app: a package writer role granted by someone other than the deploy workflow",
      description:
        "A Function package writer role was assigned by a caller other than the deploy identity: a way to write a function app's deployment package outside the deploy workflow, which would also hide those writes from function-package-write-outside-ship. Expected only for a manual ship from the runbook. docs/runbook.md",
      severity: Sev.High,
      ...scheduled(15, "AzureActivity", [
        ...ROLE_ASSIGNMENT_STARTS,
        `| where RoleDefinitionId in~ (${PACKAGE_WRITER_ROLES_TOKEN})`,
        // A service principal's Caller is its object id (a person's, the UPN).
        `| where Caller !in~ (${DEPLOYERS_TOKEN})`,
        "| project TimeGenerated, Caller, ClientIp = CallerIpAddress, RoleDefinitionId, ResourceGroup, _ResourceId",
      ]),
      tactics: [Tactic.Persistence, Tactic.PrivilegeEscalation],
      techniques: ["T1098"],
      entities: [
        { type: Entity.Account, identifier: "FullName", column: "Caller" },
        { type: Entity.IP, identifier: "Address", column: "ClientIp" },
        { type: Entity.AzureResource, identifier: "ResourceId", column: "_ResourceId" },
      ],
    });
  }
  if (s.firewall) {
    rules.push({
      key: "firewall-threat-intel",
      displayName: "Azure Firewall: threat-intelligence match",
      description:
        "Traffic from or to the platform matched Microsoft's threat-intelligence feed (denied by the firewall): a workload may be compromised (command and control, exfiltration).",
      severity: Sev.High,
      ...scheduled(15, "AZFWThreatIntel", [
        "| summarize Hits = count(), Destinations = make_set(DestinationIp, 20), Fqdns = make_set(Fqdn, 20), Threats = make_set(ThreatDescription, 5) by ClientIp = SourceIp",
      ]),
      tactics: [Tactic.CommandAndControl, Tactic.Exfiltration],
      techniques: ["T1071"],
      entities: [{ type: Entity.IP, identifier: "Address", column: "ClientIp" }],
    });
  }
  return rules;
}
