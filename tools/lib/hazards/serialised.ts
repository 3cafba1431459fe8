/** Children Azure changes one at a time on their parent: two that do not wait for each other race (pure). */
import { UNKNOWN } from "../engine";
import type { ResourceRecord } from "../policyRunner";
import { sdkTypeOf } from "../sdkType";
import { at, waitsForOf, type Hazard, type WaitsFor } from "./common";

/**
 * Children Azure changes one at a time on their parent, keyed by the inputs that name the parent: two of them that
 * do not wait for each other race, and the second gets 409/412 (components/shared/serial.ts has the evidence).
 */
export const SERIALISED_CHILDREN: readonly {
  /** One type, or several whose writes land on the same parent. */
  readonly type: string | readonly string[];
  /**
   * The inputs naming the parent, or a function giving its key (undefined: not a child of this kind of parent), or
   * the keys of every parent the write lands on (`{ several: [...] }`, a failover group on each of its databases).
   */
  readonly parent:
    | readonly string[]
    | ((
        r: ResourceRecord,
        records: readonly ResourceRecord[],
      ) => readonly unknown[] | { readonly several: readonly (readonly unknown[])[] } | undefined);
  /**
   * The types whose writes are parent-level operations, which must not overlap any other write to the parent; the
   * others may run alongside one another. Absent: every pair must be ordered.
   */
  readonly exclusive?: readonly string[];
  readonly what: string;
}[] = [
  {
    // Role definitions take the same account lock as assignments (hashicorp/terraform-provider-azurerm#15842, fixed
    // by locking both in #15862).
    type: ["azure-native:cosmosdb:SqlResourceSqlRoleAssignment", "azure-native:cosmosdb:SqlResourceSqlRoleDefinition"],
    parent: ["resourceGroupName", "accountName"],
    what: "Cosmos DB data-plane role definitions and assignments of one account (412 'another user operation in progress')",
  },
  {
    // Database-scoped management operations run one at a time (components/oltp/index.ts). Creating a geo-secondary
    // and a failover group are operations on the primary database too (the Microsoft.Sql spec's errors:
    // 409 ConflictingDatabaseOperation, 400 UpdateNotAllowedIfGeoDrOperationInProgress, DatabaseBeingAddedToFailoverGroup).
    type: [
      "azure-native:sql:Database",
      "azure-native:sql:TransparentDataEncryption",
      "azure-native:sql:DataMaskingPolicy",
      "azure-native:sql:BackupShortTermRetentionPolicy",
      "azure-native:sql:LongTermRetentionPolicy",
      "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy",
      "azure-native:sql:FailoverGroup",
    ],
    parent: primaryDatabase,
    what: "operations on one SQL database: its settings, its geo-secondary and its failover group (409 ConflictingDatabaseOperation)",
  },
  {
    // A private endpoint adds a connection to the server: another server-level write.
    type: [
      "azure-native:sql:EncryptionProtector",
      "azure-native:sql:OutboundFirewallRule",
      "azure-native:sql:ExtendedServerBlobAuditingPolicy",
      "azure-native:sql:ServerSecurityAlertPolicy",
      "azure-native:network:PrivateEndpoint",
    ],
    parent: childOrEndpoint("microsoft.sql/servers", "serverName"),
    what: "settings and private endpoint connections of one SQL server (409 ConflictingServerOperation)",
  },
  {
    // Workspace-level writes: private endpoint connections and the dedicated pool (components/olap/warehouse.ts).
    type: ["azure-native:synapse:SqlPool", "azure-native:network:PrivateEndpoint"],
    parent: childOrEndpoint("microsoft.synapse/workspaces", "workspaceName"),
    what: "private endpoint connections and dedicated pools of one Synapse workspace",
  },
  {
    type: [
      "azure-native:synapse:SqlPoolTransparentDataEncryption",
      "azure-native:synapse:SqlPoolWorkloadGroup",
      "azure-native:synapse:SqlPoolWorkloadClassifier",
    ],
    parent: ["resourceGroupName", "workspaceName", "sqlPoolName"],
    what: "settings, workload groups and classifiers of one dedicated SQL pool (one operation at a time on a pool)",
  },
  {
    type: "azure-native:datafactory:ManagedPrivateEndpoint",
    parent: ["resourceGroupName", "factoryName", "managedVirtualNetworkName"],
    what: "managed private endpoints of one Data Factory managed virtual network",
  },
  {
    type: "azure-native:network:FirewallPolicyRuleCollectionGroup",
    parent: ["resourceGroupName", "firewallPolicyName"],
    what: "rule collection groups of one firewall policy",
  },
  {
    type: "azure-native:eventgrid:SystemTopicEventSubscription",
    parent: ["resourceGroupName", "systemTopicName"],
    what: "event subscriptions of one system topic",
  },
  {
    type: [
      "azure-native:storage:BlobContainer",
      "azure-native:storage:BlobServiceProperties",
      "azure-native:storage:ManagementPolicy",
      "azure-native:storage:BlobContainerImmutabilityPolicy",
      "azure-native:network:PrivateEndpoint",
      "azure-native:machinelearningservices:Workspace",
    ],
    parent: (r) =>
      sdkTypeOf(r) === "azure-native:machinelearningservices:Workspace"
        ? workspaceDependency(r, "storageAccount", "microsoft.storage/storageaccounts")
        : childOrEndpoint("microsoft.storage/storageaccounts", "accountName")(r),
    what: "containers, blob settings and private endpoint connections of one storage account (409 StorageAccountOperationInProgress)",
  },
  {
    // Each app's VNet integration takes the subnet's service association link lease; a second app joining while
    // the first holds it fails with 409 Conflict, which the provider does not retry (pulumi-azure-native#3653).
    type: "azure-native:web:WebApp",
    parent: ["virtualNetworkSubnetId"],
    what: "apps joining one integration subnet (409 'Failed to acquire ServiceAssociationLinkLease', hashicorp/terraform-provider-azurerm#32089)",
  },
  {
    type: [
      "azure-native:web:WebAppApplicationSettings",
      "azure-native:web:WebAppFtpAllowed",
      "azure-native:web:WebAppScmAllowed",
    ],
    parent: ["resourceGroupName", "name"],
    what: "writes to one site (409 'Cannot modify this site because another operation is in progress', Azure/terraform-azurerm-avm-res-web-site#272)",
  },
  {
    // Entities (hubs, consumer groups) may be created side by side; a namespace update (its network rule set, a
    // private endpoint connection) overlapping any other write fails with 409 "Namespace update failed with conflict
    // in backend" or 429 "Namespace provisioning in transition" (learn.microsoft.com/azure/event-hubs/resource-manager-exceptions).
    type: [
      "azure-native:eventhub:EventHub",
      "azure-native:eventhub:ConsumerGroup",
      "azure-native:eventhub:NamespaceNetworkRuleSet",
      "azure-native:network:PrivateEndpoint",
    ],
    parent: childOrEndpoint("microsoft.eventhub/namespaces", "namespaceName"),
    exclusive: ["azure-native:eventhub:NamespaceNetworkRuleSet", "azure-native:network:PrivateEndpoint"],
    what: "writes to one Event Hubs namespace",
  },
  {
    // Private endpoint connections (ours, Data Factory's managed ones, and those an Azure ML workspace's managed
    // network makes for its private endpoint outbound rules when it is provisioned with the workspace,
    // `provisionNetworkNow`) are account-level writes that take the account's exclusive lock
    // (components/nosql/index.ts); databases and containers may be created side by side.
    type: [
      "azure-native:cosmosdb:SqlResourceSqlDatabase",
      "azure-native:cosmosdb:SqlResourceSqlContainer",
      "azure-native:network:PrivateEndpoint",
      "azure-native:datafactory:ManagedPrivateEndpoint",
      "azure-native:machinelearningservices:Workspace",
    ],
    parent: (r) => {
      const COSMOS = "microsoft.documentdb/databaseaccounts";
      switch (sdkTypeOf(r)) {
        case "azure-native:datafactory:ManagedPrivateEndpoint":
          return resourceKey(at(r.inputs, "properties", "privateLinkResourceId"), COSMOS);
        case "azure-native:machinelearningservices:Workspace": {
          if (at(r.inputs, "provisionNetworkNow") !== true) return undefined;
          const rules = at(r.inputs, "managedNetwork", "outboundRules");
          const targets = Object.values(rules !== null && typeof rules === "object" ? rules : {})
            .filter((rule) => at(rule, "type") === "PrivateEndpoint")
            .map((rule) => resourceKey(at(rule, "destination", "serviceResourceId"), COSMOS))
            .filter((k): k is readonly string[] => k !== undefined);
          return { several: targets };
        }
        default:
          return childOrEndpoint(COSMOS, "accountName")(r);
      }
    },
    exclusive: [
      "azure-native:network:PrivateEndpoint",
      "azure-native:datafactory:ManagedPrivateEndpoint",
      "azure-native:machinelearningservices:Workspace",
    ],
    what: "databases, containers and private endpoint connections of one Cosmos DB account (412 'exclusive lock')",
  },
  {
    // A registry's replications and private endpoint connections are registry-level writes: a private endpoint
    // created while a replication is (the first deployment fails, the second passes: Azure/bicep-registry-modules
    // #4040, fixed by ordering them in #4346), and eight endpoints created on one registry at once
    // (hashicorp/terraform-provider-azurerm#10880), fail. An Azure ML workspace provisioned with its managed network
    // (`provisionNetworkNow`) connects to its registry as it is created (how-to-managed-network).
    type: [
      "azure-native:containerregistry:Replication",
      "azure-native:network:PrivateEndpoint",
      "azure-native:machinelearningservices:Workspace",
    ],
    parent: (r) =>
      sdkTypeOf(r) === "azure-native:machinelearningservices:Workspace"
        ? workspaceDependency(r, "containerRegistry", "microsoft.containerregistry/registries")
        : childOrEndpoint("microsoft.containerregistry/registries", "registryName")(r),
    what: "replications and private endpoint connections of one container registry",
  },
  {
    type: "azure-native:monitor:PrivateLinkScopedResource",
    parent: ["resourceGroupName", "scopeName"],
    what: "resources linked to one Azure Monitor Private Link Scope",
  },
  {
    // Keys, secrets and private endpoint connections all change the vault resource: "ConflictError | You're requesting
    // multiple operations on the same item, for example, Key Vault, secret, key, certificate, or common components
    // within a Key Vault like VNET. It's recommended to sequence operations or to implement retry logic"
    // (learn.microsoft.com/azure/key-vault/general/common-error-codes); secrets created in a loop fail so
    // (pulumi/pulumi-azure-native#1013), and azure-native retries a 409 only for AnotherOperationInProgress
    // (pulumi/pulumi-azure-native#3653). Role assignments on a vault or key are Microsoft.Authorization writes.
    // An Event Grid subscription on the vault's system topic writes to the vault too: "Microsoft.KeyVault/vaults/
    // eventGridFilters/write | Notifies Microsoft.KeyVault that a new EventGrid Subscription for Key Vault is being
    // created" (Key Vault's resource provider operations).
    type: [
      "azure-native:keyvault:Key",
      "azure-native:keyvault:Secret",
      "azure-native:network:PrivateEndpoint",
      "azure-native:eventgrid:SystemTopicEventSubscription",
      "azure-native:machinelearningservices:Workspace",
    ],
    parent: (r, records) =>
      sdkTypeOf(r) === "azure-native:eventgrid:SystemTopicEventSubscription"
        ? topicSource(r, records, "microsoft.keyvault/vaults")
        : sdkTypeOf(r) === "azure-native:machinelearningservices:Workspace"
          ? workspaceDependency(r, "keyVault", "microsoft.keyvault/vaults")
          : childOrEndpoint("microsoft.keyvault/vaults", "vaultName")(r),
    what: "keys, secrets, private endpoint connections and event subscriptions of one key vault (409 ConflictError)",
  },
];

/**
 * The parent key of a child that names its parent in `nameInput` (with `resourceGroupName`), or of a private endpoint
 * that connects to a resource of `providerType`: both land on the same parent.
 */
function childOrEndpoint(
  providerType: string,
  nameInput: string,
): (r: ResourceRecord) => readonly unknown[] | undefined {
  return (r) =>
    sdkTypeOf(r) === "azure-native:network:PrivateEndpoint"
      ? privateLinkTarget(r, providerType)
      : [at(r.inputs, "resourceGroupName"), at(r.inputs, nameInput)];
}

/**
 * The [resource group, name] of an Azure ML workspace's dependency (`storageAccount`, `keyVault`) of `providerType`,
 * when the workspace is provisioned with its managed network (`provisionNetworkNow`): its required outbound rules then
 * make private endpoint connections on them as the workspace is created (how-to-managed-network).
 */
function workspaceDependency(r: ResourceRecord, input: string, providerType: string): readonly string[] | undefined {
  return at(r.inputs, "provisionNetworkNow") === true ? resourceKey(at(r.inputs, input), providerType) : undefined;
}

/**
 * The [resource group, name] of the resource a private endpoint connects to, when it is of `providerType` (e.g.
 * "microsoft.eventhub/namespaces", compared in lower case); undefined otherwise or while its id is unknown.
 */
function privateLinkTarget(r: ResourceRecord, providerType: string): readonly string[] | undefined {
  const connections = at(r.inputs, "privateLinkServiceConnections");
  return resourceKey(Array.isArray(connections) ? at(connections[0], "privateLinkServiceId") : undefined, providerType);
}

/**
 * The [resource group, name] of the source of an event subscription's system topic (found by the topic's name and
 * group among the records), when that source is of `providerType`; undefined otherwise.
 */
function topicSource(
  r: ResourceRecord,
  records: readonly ResourceRecord[],
  providerType: string,
): readonly string[] | undefined {
  const topic = records.find(
    (t) =>
      sdkTypeOf(t) === "azure-native:eventgrid:SystemTopic" &&
      String(at(t.inputs, "systemTopicName")).toLowerCase() === String(at(r.inputs, "systemTopicName")).toLowerCase() &&
      String(at(t.inputs, "resourceGroupName")).toLowerCase() ===
        String(at(r.inputs, "resourceGroupName")).toLowerCase(),
  );
  return topic ? resourceKey(at(topic.inputs, "source"), providerType) : undefined;
}

/** The [resource group, name] of a resource id of `providerType` (lower case); undefined for anything else. */
function resourceKey(id: unknown, providerType: string): readonly string[] | undefined {
  if (typeof id !== "string") return undefined;
  const m = /\/resourcegroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/.exec(id.toLowerCase());
  return m && m[2] === providerType ? [m[1], m[3]] : undefined;
}

/**
 * The SQL databases an operation lands on: a geo-secondary's creation on its source and on itself, a failover
 * group's on each of its databases and on their namesakes on its partner servers (the secondaries), otherwise the
 * database the resource names (a database itself, or a setting of one).
 */
function primaryDatabase(r: ResourceRecord): { readonly several: readonly (readonly unknown[])[] } {
  const ofId = (id: unknown) => {
    if (typeof id !== "string") return undefined;
    const m = /\/resourcegroups\/([^/]+)\/providers\/microsoft\.sql\/servers\/([^/]+)(?:\/databases\/([^/]+))?$/.exec(
      id.toLowerCase(),
    );
    return m ? { group: m[1], server: m[2], database: m[3] } : undefined;
  };
  const own = ["resourceGroupName", "serverName", "databaseName"].map((k) => at(r.inputs, k));
  if (sdkTypeOf(r) === "azure-native:sql:FailoverGroup") {
    const list = at(r.inputs, "databases");
    const databases = (Array.isArray(list) ? list : []).map(ofId).filter((d) => d?.database !== undefined);
    const partners = at(r.inputs, "partnerServers");
    const servers = (Array.isArray(partners) ? partners : []).map((p) => ofId(at(p, "id"))).filter((x) => x);
    return {
      several: databases.flatMap((d) => [
        [d?.group, d?.server, d?.database],
        ...servers.map((p) => [p?.group, p?.server, d?.database]),
      ]),
    };
  }
  const source = at(r.inputs, "sourceDatabaseId");
  if (sdkTypeOf(r) === "azure-native:sql:Database" && source !== undefined) {
    const d = ofId(source);
    return { several: [...(d?.database !== undefined ? [[d.group, d.server, d.database]] : []), own] };
  }
  return { several: [own] };
}

/** Pairs of serialised children of one parent that do not wait for each other (pure). */
export function racingChildren(records: readonly ResourceRecord[], waits: WaitsFor = waitsForOf(records)): Hazard[] {
  const out: Hazard[] = [];
  for (const spec of SERIALISED_CHILDREN) {
    const groups = new Map<string, ResourceRecord[]>();
    const types: readonly string[] = typeof spec.type === "string" ? [spec.type] : spec.type;
    for (const r of records.filter((x) => types.includes(sdkTypeOf(x)))) {
      const found =
        typeof spec.parent === "function" ? spec.parent(r, records) : spec.parent.map((k) => at(r.inputs, k));
      const keys = found === undefined ? [] : "several" in found ? found.several : [found];
      for (const parts of keys) {
        // Only children whose parent is known (the deployed view): unknown names would put every child in one group.
        // Names compare in lower case, as Azure does.
        if (!parts.every((p) => typeof p === "string" && p !== UNKNOWN)) continue;
        const key = JSON.stringify(parts.map((p) => String(p).toLowerCase()));
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
    }
    const mustOrder = (a: ResourceRecord, b: ResourceRecord) =>
      !spec.exclusive || spec.exclusive.includes(sdkTypeOf(a)) || spec.exclusive.includes(sdkTypeOf(b));
    for (const group of groups.values())
      for (let i = 0; i < group.length; i++)
        for (let j = i + 1; j < group.length; j++) {
          const [a, b] = [group[i], group[j]];
          if (!mustOrder(a, b)) continue;
          if (waits(b).has(a.urn) || waits(a).has(b.urn)) continue;
          out.push({
            rule: "serialised-children-race",
            urn: b.urn,
            name: b.name,
            message: `${a.name} and ${b.name} are ${spec.what}, which Azure changes one at a time, and neither waits for the other: chain them with dependsOn (components/shared/serial.ts)`,
          });
        }
  }
  return out;
}
