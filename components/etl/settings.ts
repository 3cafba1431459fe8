/**
 * Pure settings of the ETL tier (no resources): the integration runtime's compute from config, the managed private
 * endpoints to the stores the factory touches, and the identity-only linked services the generated definitions
 * reference by name (pipelines/etl/contract.ts). Unit-tested in tests/etl.spec.ts.
 */
import * as datafactory from "@pulumi/azure-native/datafactory";
import type * as types from "@pulumi/azure-native/types";
import type * as pulumi from "@pulumi/pulumi";
import {
  ADF_CREDENTIAL,
  ADF_DEPLOYMENT_LINKED_SERVICES,
  ADF_INTEGRATION_RUNTIME,
  type AdfLinkedServiceRole,
} from "../../pipelines/etl/contract";
import type { CosmosContainerKey, EtlConfig } from "../../lib/config";
import type { PrivateLinkService } from "../../lib/privateLink";
import { SQL_COMMAND_TIMEOUT_SECONDS } from "../../pipelines/etl/adf";
import { COSMOS_ERASURE } from "../../pipelines/etl/erasure";
import { CONTAINERS } from "../nosql";
import { PRIVATE_LINK } from "../../lib/privateLink";
import type { CreationOnlyConflict } from "../shared";

/**
 * The factory's managed virtual network: Data Factory has exactly one, named `default` (REST
 * `factories/{f}/managedVirtualNetworks/{name}`, whose only documented name is `default`).
 */
export const MANAGED_VNET_NAME = "default";

/** API version of every Microsoft.DataFactory resource azure-native 3.28 creates (and of the managed VNet). */
export const DATA_FACTORY_API_VERSION = "2018-06-01";

/**
 * The ARM template of the factory's managed virtual network (`managedVirtualNetworks/default`, an empty properties
 * bag, as Microsoft's sample creates it). An ARM deployment, not a generic `resources.Resource`: azure-native fills
 * in `location` on every resource whose body can carry one (its auto-location, turned off only for deployments at
 * resource group scope, pulumi-azure-native#654), and this child of the factory has none; a template sends exactly
 * its body. azure-native has no class for it (the REST API has no DELETE, pulumi-azure-native#896). Constant.
 */
export function managedVirtualNetworkTemplate(): Record<string, unknown> {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { factoryName: { type: "string" } },
    resources: [
      {
        type: "Microsoft.DataFactory/factories/managedVirtualNetworks",
        apiVersion: DATA_FACTORY_API_VERSION,
        name: `[concat(parameters('factoryName'), '/${MANAGED_VNET_NAME}')]`,
        properties: {},
      },
    ],
  };
}

/** The credential (factory child) through which linked services authenticate as the ETL user-assigned identity. */
export const ETL_CREDENTIAL_NAME = ADF_CREDENTIAL;

/**
 * The credential of the deployment identity: only the schema deployment pipeline's two linked services
 * (ADF_DEPLOYMENT_LINKED_SERVICES) authenticate with it.
 */
export const DEPLOYMENT_CREDENTIAL_NAME = "cred-deploy-identity";

/** Qualifiers of the factory's user-assigned identities' names (`id-<workload>-<env>-<region>-<qualifier>`). */
export const IDENTITY_QUALIFIERS = { etl: "adf-etl", deployment: "adf-deploy" } as const;

/** Where a managed private endpoint goes. */
export type ManagedEndpointTarget =
  "oltpSql" | "oltpSqlSecondary" | "warehouseSql" | "lakeDfs" | "lakeBlob" | "cosmosSql";

/** Each target's private link service (group id) and the managed private endpoint's name in the factory. */
export const MANAGED_ENDPOINTS: Readonly<
  Record<
    ManagedEndpointTarget,
    { readonly service: PrivateLinkService; readonly name: string; readonly purpose: string }
  >
> = {
  oltpSql: {
    service: "sqlServer",
    name: "mpe-oltp-sql",
    purpose: "CDC extracts, watermarks, schema deployment and erasure on the OLTP database",
  },
  oltpSqlSecondary: {
    service: "sqlServer",
    name: "mpe-oltp-sql-secondary",
    purpose: "the same after a failover: the failover group listener then points at the secondary server",
  },
  warehouseSql: {
    service: "synapseSql",
    name: "mpe-synapse-sql",
    purpose: "COPY into staging, merges, refresh and checks on the dedicated pool",
  },
  lakeDfs: {
    service: "storageDfs",
    name: "mpe-lake-dfs",
    purpose: "landing and erasing Parquet files in the lake (ADLS Gen2 API)",
  },
  lakeBlob: {
    service: "storageBlob",
    name: "mpe-lake-blob",
    purpose: "blob-API access to the lake (copy staging, COPY paths)",
  },
  cosmosSql: {
    service: "cosmosSql",
    name: "mpe-cosmos-sql",
    purpose: "erasure in the Cosmos DB containers holding personal data",
  },
};

/** The Azure group id of a managed endpoint (the private link service's first group id). */
export const groupIdOf = (target: ManagedEndpointTarget): string =>
  PRIVATE_LINK[MANAGED_ENDPOINTS[target].service].groupIds[0];

/**
 * Name Data Factory gives the private endpoint behind a managed private endpoint, as it shows on the target's
 * private endpoint connection (`properties.privateEndpoint.id` ends with it): `<factory>.<managed endpoint>`.
 * `npm run etl:ops -- approve-endpoints` (deploy.yml, after each `pulumi up`) approves exactly those.
 */
export const managedEndpointPrivateEndpointName = (factoryName: string, target: ManagedEndpointTarget): string =>
  `${factoryName}.${MANAGED_ENDPOINTS[target].name}`;

/**
 * Cosmos DB containers the factory may write (Built-in Data Contributor, per container): exactly those the GDPR
 * erasure pipeline touches (pipelines/etl/erasure.ts `COSMOS_ERASURE`, by container id), and nothing else.
 */
export const ETL_COSMOS_CONTAINERS: readonly CosmosContainerKey[] = cosmosKeysOf(
  [...COSMOS_ERASURE.bySubject, ...COSMOS_ERASURE.byReference].map((t) => t.container),
);

/** Container keys (config names) of Cosmos DB container ids; throws naming an id the NoSQL tier does not create. */
export function cosmosKeysOf(ids: readonly string[]): CosmosContainerKey[] {
  const byId = new Map(Object.entries(CONTAINERS).map(([key, c]) => [c.id, key as CosmosContainerKey]));
  return [...new Set(ids)].map((id) => {
    const key = byId.get(id);
    if (!key)
      throw new Error(`Cosmos DB container '${id}' is not one the NoSQL tier creates (${[...byId.keys()].join(", ")})`);
    return key;
  });
}

/** Compute of the Azure integration runtime inside the managed VNet, from the `etl.integrationRuntime` config. */
export function integrationRuntimeProperties(
  ir: EtlConfig["integrationRuntime"],
): types.input.datafactory.ManagedIntegrationRuntimeArgs {
  return {
    type: "Managed",
    description:
      "Azure integration runtime in the factory's managed virtual network: every linked service runs on it and reaches its store through a managed private endpoint.",
    managedVirtualNetwork: { type: "ManagedVirtualNetworkReference", referenceName: MANAGED_VNET_NAME },
    computeProperties: {
      // AutoResolve inside a managed VNet = the factory's region (managed-virtual-network-private-endpoint).
      location: "AutoResolve",
      // Copy compute kept warm between the night's copies: no cold start of several minutes per copy
      // (https://learn.microsoft.com/azure/data-factory/managed-virtual-network-private-endpoint#time-to-live).
      copyComputeScaleProperties: {
        dataIntegrationUnit: ir.copyDataIntegrationUnits,
        timeToLive: ir.copyTimeToLiveMinutes,
      },
      // Pipeline activities (Lookup, Script, Stored Procedure, Web) and external activities in the managed VNet.
      pipelineExternalComputeScaleProperties: {
        timeToLive: ir.pipelineTimeToLiveMinutes,
        numberOfPipelineNodes: ir.pipelineNodes,
        numberOfExternalNodes: ir.externalNodes,
      },
    },
  };
}

/** Where each linked service points (outputs of the OLTP, OLAP and NoSQL tiers). */
export interface LinkedServiceTargets {
  /** The OLTP database's server FQDN: the failover group listener when there is one. */
  readonly oltp: {
    readonly server: pulumi.Input<string>;
    readonly database: pulumi.Input<string>;
    /** The servers behind a failover group listener (their FQDNs): hosts the connection may reach after it. */
    readonly servers?: readonly pulumi.Input<string>[];
  };
  /** `<workspace>.sql.azuresynapse.net` and the dedicated pool's name. */
  readonly warehouse: { readonly server: pulumi.Input<string>; readonly database: pulumi.Input<string> };
  /** `https://<account>.dfs.core.windows.net/` */
  readonly lake: { readonly url: pulumi.Input<string> };
  /** `https://<account>.documents.azure.com:443/` and the database. */
  readonly cosmos: { readonly accountEndpoint: pulumi.Input<string>; readonly database: pulumi.Input<string> };
}

/** The built-in definition of Data Factory's outbound allow-list (Azure/azure-policy, Factory_OutboundTraffic_Audit.json). */
export const ADF_OUTBOUND_POLICY_DEFINITION_ID =
  "/providers/Microsoft.Authorization/policyDefinitions/3d02a511-74e5-4dab-a5fd-878704d4a61a";

/** The host name of a linked service target: a bare FQDN, or the host of an `https://host[:port]/` URL. */
export function hostOf(target: string): string {
  const host = /^[a-z]+:\/\//i.test(target) ? new URL(target).hostname : target.split(/[:/]/)[0];
  return host.toLowerCase();
}

/**
 * The domains the factory's pipelines reach, for its outbound allow-list: each linked service's host, the hosts those
 * connectors may also reach (the lake's blob endpoint, behind the `lakeBlob` managed endpoint; the Cosmos DB account's
 * regional endpoints `<account>-<region>.documents.azure.com`, which its SDK discovers, in `cosmosRegions`), and
 * Resource Manager (the Web activities pausing and resuming the pool, stopping triggers: pipelines/etl/operations.ts).
 * Full names only: the policy takes no wildcard ("Wildcard/regex patterns aren't supported",
 * configure-outbound-allow-list-azure-policy); whether it checks the configured or the contacted host is not
 * documented, so both are listed (they are the platform's own stores). Sorted, without repeats.
 */
export function outboundDomains(
  targets: {
    readonly oltp: string;
    readonly warehouse: string;
    readonly lake: string;
    readonly cosmos: string;
  },
  cosmosRegions: readonly string[] = [],
  oltpServers: readonly string[] = [],
): string[] {
  const lake = hostOf(targets.lake);
  const cosmos = hostOf(targets.cosmos);
  const [account, ...domain] = cosmos.split(".");
  const hosts = [
    hostOf(targets.oltp),
    ...oltpServers.map(hostOf),
    hostOf(targets.warehouse),
    lake,
    lake.replace(".dfs.core.windows.net", ".blob.core.windows.net"),
    cosmos,
    ...cosmosRegions.map((r) => [`${account}-${r.toLowerCase()}`, ...domain].join(".")),
  ];
  return [...new Set([...hosts, "management.azure.com"])].sort();
}

type LinkedServiceProperties =
  | types.input.datafactory.AzureSqlDatabaseLinkedServiceArgs
  | types.input.datafactory.AzureSqlDWLinkedServiceArgs
  | types.input.datafactory.AzureBlobFSLinkedServiceArgs
  | types.input.datafactory.CosmosDbLinkedServiceArgs;

/**
 * The four linked services, managed identity only: each authenticates as the ETL user-assigned identity through the
 * factory credential, carries no key, password, SAS or connection string, and runs on the managed VNet's
 * integration runtime (connector pages: connector-azure-sql-database, connector-azure-sql-data-warehouse,
 * connector-azure-data-lake-storage, connector-azure-cosmos-db, section "User-assigned managed identity
 * authentication").
 */
export function linkedServiceProperties(
  targets: LinkedServiceTargets,
  runtime: pulumi.Input<string> = ADF_INTEGRATION_RUNTIME,
): Readonly<Record<AdfLinkedServiceRole, LinkedServiceProperties>> {
  const connectVia = runtimeReference(runtime);
  const credential = { type: "CredentialReference", referenceName: ETL_CREDENTIAL_NAME } as const;
  return {
    oltp: sqlLinkedService("oltp", targets, ETL_CREDENTIAL_NAME, "the ETL identity", runtime),
    warehouse: sqlLinkedService("warehouse", targets, ETL_CREDENTIAL_NAME, "the ETL identity", runtime),
    lake: {
      type: "AzureBlobFS",
      description: "Data lake (ADLS Gen2, dfs endpoint): the ETL identity, through the managed private endpoint.",
      url: targets.lake.url,
      connectVia,
      credential,
    },
    cosmos: {
      type: "CosmosDb",
      description:
        "Cosmos DB (NoSQL) database: the ETL identity (data-plane role per container), managed private endpoint.",
      accountEndpoint: targets.cosmos.accountEndpoint,
      database: targets.cosmos.database,
      connectVia,
      credential,
    },
  };
}

/**
 * The schema deployment pipeline's two linked services (ADF_DEPLOYMENT_LINKED_SERVICES): the same databases, signed
 * in as the deployment identity (a member of the databases' Entra admin group), so the nightly identity never holds
 * db_owner.
 */
export function deploymentLinkedServiceProperties(
  targets: LinkedServiceTargets,
  runtime: pulumi.Input<string> = ADF_INTEGRATION_RUNTIME,
): Readonly<Record<keyof typeof ADF_DEPLOYMENT_LINKED_SERVICES, LinkedServiceProperties>> {
  const who = "the deployment identity (schema deployment only)";
  return {
    oltp: sqlLinkedService("oltp", targets, DEPLOYMENT_CREDENTIAL_NAME, who, runtime),
    warehouse: sqlLinkedService("warehouse", targets, DEPLOYMENT_CREDENTIAL_NAME, who, runtime),
  };
}

/**
 * The managed VNet runtime a linked service runs on. The component passes the runtime's `name` output (the same
 * name once created), so the policy pack sees during a first preview which declared runtime each one runs on.
 */
function runtimeReference(runtime: pulumi.Input<string>) {
  return { type: "IntegrationRuntimeReference", referenceName: runtime } as const;
}

function sqlLinkedService(
  role: "oltp" | "warehouse",
  targets: LinkedServiceTargets,
  credentialName: string,
  who: string,
  runtime: pulumi.Input<string>,
): LinkedServiceProperties {
  const common = {
    // The "recommended" connector version: TLS enforced (`encrypt: mandatory`), the server certificate checked.
    encrypt: "mandatory",
    trustServerCertificate: false,
    // Undocumented default (SqlClient's: 30 s): the longest activity timeout instead (pipelines/etl/adf.ts).
    commandTimeout: SQL_COMMAND_TIMEOUT_SECONDS,
    connectVia: runtimeReference(runtime),
    credential: { type: "CredentialReference", referenceName: credentialName } as const,
  };
  return role === "oltp"
    ? {
        type: "AzureSqlDatabase",
        description: `OLTP database: ${who}, through the managed private endpoint.`,
        server: targets.oltp.server,
        database: targets.oltp.database,
        authenticationType: datafactory.AzureSqlDatabaseAuthenticationType.UserAssignedManagedIdentity,
        ...common,
      }
    : {
        type: "AzureSqlDW",
        description: `Synapse dedicated SQL pool: ${who}, through the managed private endpoint.`,
        server: targets.warehouse.server,
        database: targets.warehouse.database,
        authenticationType: datafactory.AzureSqlDWAuthenticationType.UserAssignedManagedIdentity,
        ...common,
      };
}

/** What a read of the deployed factory reports of its encryption (datafactory.getFactory). */
export interface DeployedFactory {
  readonly encryption?: { readonly keyName?: string };
}

/**
 * The factory's creation-only setting the stack config would change: its customer-managed key (`etl.customerManagedKey`).
 * Microsoft: a key is added "only on an empty data factory", and not at all with a managed virtual network (this
 * factory has one), and "By design, once the customer-managed key feature is enabled, you can't remove the extra
 * security step" (learn.microsoft.com/azure/data-factory/enable-customer-managed-key).
 */
export function factoryCreationOnlyConflicts(deployed: DeployedFactory, wanted: boolean): CreationOnlyConflict[] {
  const encrypted = deployed.encryption?.keyName !== undefined;
  if (encrypted === wanted) return [];
  return [
    {
      key: "etl.customerManagedKey",
      deployed: String(encrypted),
      wanted: String(wanted),
      remedy: encrypted
        ? "A factory keeps the key it was created with; set it back to true (Microsoft-managed keys need a new factory: delete this one and run `up`; prod's is protected, so that is a reviewed change)."
        : "A key can be added only to an empty factory without a managed virtual network, which this one has; set it back to false (a key needs a new factory: delete this one and run `up`; prod's is protected, so that is a reviewed change).",
    },
  ];
}
