/**
 * What Azure and azure-native do with a change, as far as the program knows: the updates that interrupt a service,
 * the inputs a preview of the deployed stack checks against Azure, the types whose deletion loses data, and the paths
 * the provider always replaces on.
 */
import { PROTECTED_CHILD_TYPES, STATEFUL_TYPES } from "../../../policies/rules/protection";

/**
 * In-place updates Azure applies by interrupting a service, by type and input path, with what happens (Microsoft's
 * words): a pull request's reviewer plans them for a quiet window, which neither the offline gate nor the real
 * preview says.
 */
export const DISRUPTIVE_UPDATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "azure-native:web:AppServicePlan": {
    zoneRedundant:
      'restarts its app ("Changing the zone redundancy of your app requires a restart, which causes downtime in your app", azure-functions/functions-zone-redundancy)',
  },
  "azure-native:sql:Database": {
    sku: 'drops its connections when the new size takes over ("a brief service interruption when the database is unavailable generally for less than 30 seconds and often for only a few seconds", azure-sql/database/single-database-scale, Impact: the provisioned tier; a serverless database by the same steps, inferred)',
    zoneRedundant:
      'moves it ("an online operation with a brief disconnect towards the end to finish the migration process", reliability/migrate-sql-database, Downtime requirements)',
  },
  "azure-native:web:WebAppApplicationSettings": {
    properties:
      'restarts the app ("Changing application settings causes your function app to restart by default across all hosting plans", azure-functions/functions-how-to-use-azure-function-app-settings)',
  },
  "azure-native:synapse:SqlPool": {
    sku: 'cancels its running queries and rolls back their transactions ("your queries are canceled when you initiate the pause or scale request", sql-data-warehouse-manage-compute-overview)',
  },
  "azure-native:network:VirtualNetwork": {
    dhcpOptions:
      'changes the DNS servers, which the function apps take at their next restart and the gateway after a stop and start (docs/operations.md, "Using the hub\'s private DNS zones")',
  },
};

/**
 * The inputs a `pulumi preview` or `up` of a deployed stack compares with what is deployed before the resource
 * registers, and refuses where Azure would refuse the update mid-`up` (components/shared/deployed.ts and its uses;
 * README, "Deploying for real"): an update of one is decided against live Azure, which neither the offline gate nor
 * two exports can see. A key is a type (every resource of it) or `type::name` (the resource of that logical name
 * only: the data lake's account, not the platform's other accounts, whose SKUs the code fixes).
 */
export const CHECKED_AT_DEPLOY: Readonly<Record<string, readonly string[]>> = {
  "azure-native:cosmosdb:DatabaseAccount": ["capabilities", "locations", "backupPolicy", "consistencyPolicy"],
  "azure-native:cosmosdb:SqlResourceSqlContainer": ["options"],
  "azure-native:sql:Database": [
    "sku",
    "maxSizeBytes",
    "isLedgerOn",
    "secondaryType",
    "zoneRedundant",
    "requestedBackupStorageRedundancy",
  ],
  "azure-native:sql:Server": ["administrators"],
  "azure-native:datafactory:Factory": ["encryption"],
  "azure-native:eventhub:EventHub": ["partitionCount"],
  "azure-native:storage:BlobContainerImmutabilityPolicy": ["immutabilityPeriodSinceCreationInDays"],
  "azure-native:network:ApplicationGateway": ["sslCertificates"],
  "azure-native:network:VirtualNetwork": ["subnets", "addressSpace"],
  "azure-native:storage:StorageAccount::olap-lake": ["sku"],
};

/** The inputs CHECKED_AT_DEPLOY names for a resource: its type's and its own. */
export function checkedAtDeploy(type: string, name: string): readonly string[] {
  return [...(CHECKED_AT_DEPLOY[type] ?? []), ...(CHECKED_AT_DEPLOY[`${type}::${name}`] ?? [])];
}

/**
 * What loses data or access when it goes: the pack's stateful types and the children it protects, and the vault's keys
 * and secrets (a customer-managed key deleted makes its service's data unreadable).
 */
export const DATA_TYPES: readonly string[] = [
  ...STATEFUL_TYPES,
  ...PROTECTED_CHILD_TYPES,
  "azure-native:keyvault:Key",
  "azure-native:keyvault:Secret",
];

/** Property paths the azure-native provider replaces on, whatever the API spec says (replacement.go, `location`). */
export const PROVIDER_FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "*": ["location"],
  "azure-native:storage:StorageAccount": ["isHnsEnabled"],
  "azure-native:web:WebApp": ["kind"],
  "azure-native:network:PublicIPAddress": ["sku"],
  "azure-native:network:PrivateEndpoint": ["subnet"],
};
