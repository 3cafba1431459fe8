/**
 * The platform's key vaults, written once: a vault with RBAC, purge protection, 90-day soft delete, a private
 * endpoint, diagnostics, an admin grant and (in prod) a lock; and the routing of its key and secret expiry events to
 * the on-call action group. The platform has three: the main vault, reachable only through its private endpoint, and
 * the Cosmos DB and ML key vaults, whose firewalls also admit trusted Azure services because Cosmos DB (Azure ML's
 * metadata store included) cannot use a vault that only private endpoints reach (see `VaultNetwork`).
 */
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { actionGroupFor, type AlertRouting } from "../operations/routing";
import {
  afterCreationOnlyCheck,
  BuiltInRoles,
  deployedOrNone,
  diagnosticSetting,
  lockFor,
  managementLock,
  privateEndpoint,
  readOrWarn,
  roleAssignment,
  Serial,
  type CreationOnlyConflict,
  type DiagnosticSettingsTarget,
  type LockSpec,
  type PrivateEndpointResources,
  type PrivateEndpointTarget,
  type Tags,
} from "../shared";

/**
 * How a vault is reached:
 * - `privateEndpointOnly`: public network access Disabled; people and workloads reach it through the private
 *   endpoint only. Services that wrap their data keys with a key of this vault (SQL TDE, Storage, Synapse with its
 *   system identity) still reach it as trusted services: with public access Disabled, "all traffic except private
 *   endpoint traffic and that that originates from trusted services will be blocked" (Key Vault's
 *   `publicNetworkAccess`), so the firewall's `bypass: AzureServices` below is what lets them in: never set it to None.
 *   Data Factory's key is here too, although Key Vault's trusted-services table lists Data Factory for fetching
 *   credentials only: a first-deploy check (docs/operations.md) with its fallback.
 * - `trustedServices`: public network access Enabled but the firewall denies every network (no IP or VNet rule) and
 *   lets trusted Azure services bypass it; the private endpoint stays for people and workloads. Cosmos DB needs
 *   this: "Your Azure Key Vault instance must be accessible through public network access or allow trusted
 *   Microsoft services to bypass its firewall. An instance that is exclusively accessible through private endpoints
 *   cannot be used to host your customer-managed keys"
 *   (https://learn.microsoft.com/azure/cosmos-db/how-to-setup-customer-managed-keys). Key Vault's own
 *   trusted-services table does not list Cosmos DB (key-vault/general/overview-vnet-service-endpoints; a request to add
 *   it, MicrosoftDocs/azure-docs#100207, was closed unconfirmed): the first create, after the grant's wait, is the proof
 *   (docs/operations.md, "Before the first prod deployment", gives the fallback).
 */
export type VaultNetwork = "privateEndpointOnly" | "trustedServices";

export interface PlatformVaultArgs {
  /** Azure name (globally unique, 3-24 characters). */
  readonly vaultName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: string;
  readonly tenantId: pulumi.Input<string>;
  /** Premium holds HSM-backed keys. */
  readonly premium: boolean;
  /** The program creates keys in it (the CMK and Always Encrypted keys): a move to standard is checked against them. */
  readonly holdsKeys?: boolean;
  readonly network: VaultNetwork;
  /** What the vault holds, for the lock's notes. */
  readonly purpose: string;
  readonly protect: boolean;
  /** Management lock; default CanNotDelete when `protect` is set, none otherwise. */
  readonly lock?: LockSpec;
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnostics: DiagnosticSettingsTarget;
  /** Entra group granted Key Vault Administrator (data plane: keys, rotation policies, recovery). */
  readonly adminGroupId: pulumi.Input<string>;
  readonly tags: Tags;
}

export interface PlatformVault {
  readonly vault: keyvault.Vault;
  readonly ref: {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly uri: pulumi.Output<string>;
  };
  /**
   * The writes to the vault, one at a time (components/shared/serial.ts): its keys (`vaultKey` joins it), then its
   * private endpoint's connection, then anything added later. Key Vault refuses overlapping operations on one vault:
   * "ConflictError | You're requesting multiple operations on the same item, for example, Key Vault, secret, key,
   * certificate, or common components within a Key Vault like VNET. It's recommended to sequence operations or to
   * implement retry logic" (learn.microsoft.com/azure/key-vault/general/common-error-codes; secrets created in a loop
   * fail so, pulumi/pulumi-azure-native#1013, where the maintainers' workaround is this chain of dependsOn), and
   * azure-native retries a 409 only when its code is AnotherOperationInProgress (pulumi/pulumi-azure-native#3653;
   * provider/pkg/azure/client_azcore_test.go "doesn't retry on 409 conflict when no other operation is in progress").
   * Role assignments on the vault or a key are Microsoft.Authorization writes, not the vault's, and stay outside.
   */
  readonly writes: Serial;
  /**
   * Creates the vault's private endpoint (`${name}-pep`, `${name}-pep-dns`) as the next of `writes` and returns it (the
   * same one on a later call). Call it once the vault's keys are queued: services reach their keys as trusted
   * services (`VaultNetwork`), not through the endpoint, whereas every data tier waits on keys → grants → the 10-minute
   * RBAC wait (`grantPropagation`), which an endpoint queued first would lengthen by its own creation.
   */
  readonly connectPrivateEndpoint: () => pulumi.Resource;
  /**
   * The vault's private endpoint and its DNS zone group (throws before `connectPrivateEndpoint` has run): what a client inside
   * the VNet waits for before it resolves the vault to its private address (the Application Gateway reading its
   * certificate at creation).
   */
  readonly privateEndpointResources: () => readonly pulumi.Resource[];
}

/** The vault's network settings for a `VaultNetwork` (keyvault.VaultPropertiesArgs). */
export function vaultNetworkProperties(network: VaultNetwork) {
  return {
    publicNetworkAccess: network === "privateEndpointOnly" ? "Disabled" : "Enabled",
    // Deny by default, no IP or VNet rule: with public access Enabled only trusted Azure services get through.
    networkAcls: {
      defaultAction: keyvault.NetworkRuleAction.Deny,
      bypass: keyvault.NetworkRuleBypassOptions.AzureServices,
      ipRules: [],
      virtualNetworkRules: [],
    },
  };
}

/**
 * A deployed premium vault the stack config moves to standard (`keyVaultSku`): Azure is not documented to refuse it,
 * but HSM key types are Premium-only ("HSM key types in Premium SKU", key-vault/keys/about-keys) and a key keeps its
 * type (ARM does not update an existing key: `hsmKeys` is create-only), while Azure refuses an HSM key on a standard
 * vault ("Hardware key operation not allowed on standard vault", MicrosoftDocs/azure-docs#63888): the keys' rotation
 * would likely fail from then on. A warning of the preview (what it reads is the vault, not its keys: neither a key
 * list, from the CLI or Resource Manager, gives a key's type; one key's Resource Manager read does, without the
 * vault's private endpoint).
 */
export function vaultSkuConflicts(
  deployed: { readonly id?: string; readonly sku?: string },
  premium: boolean,
): CreationOnlyConflict[] {
  if (premium || deployed.sku?.toLowerCase() !== "premium") return [];
  const id = deployed.id ?? "<vault id>";
  return [
    {
      key: "keyVaultSku",
      kind: "advised",
      deployed: "premium",
      wanted: "standard",
      remedy:
        `Keys created while hsmKeys was true stay RSA-HSM, a Premium-only type, and Azure makes no HSM key (nor, ` +
        `likely, a rotated version) on a standard vault: keep premium while such keys exist. A key's type: ` +
        `az rest --url "https://management.azure.com${id}/keys/<key>?api-version=2026-02-01" --query properties.kty ` +
        `(the vault's keys: the stack's keyvault:Key resources).`,
    },
  ];
}

/**
 * Creates `${name}` (the vault), `${name}-lock`, `${name}-diag` and the admin grant; `${name}-pep` comes with
 * `connectPrivateEndpoint`, after the vault's keys.
 */
export function platformVault(name: string, args: PlatformVaultArgs, parent: pulumi.Resource): PlatformVault {
  // A deployed premium vault moved to standard is warned of (vaultSkuConflicts) before the vault's update: read only
  // when the config asks for standard and the vault holds the program's keys, and a failed read is a warning (the
  // check only ever warns).
  const vaultName = afterCreationOnlyCheck(
    pulumi.all([pulumi.output(args.vaultName), pulumi.output(args.resourceGroupName)]),
    {
      resource: ([n]) => `the key vault '${n}'`,
      // Every vault goes through the check; one it does not read (premium, or holding no key of the program's)
      // passes at once and may register before the others (their order is the engine's, not the program's).
      read: async ([n, resourceGroupName]) => {
        if (args.premium || !args.holdsKeys) return undefined;
        return readOrWarn(
          async () => {
            const deployed = await deployedOrNone(() =>
              keyvault.getVault({ vaultName: n, resourceGroupName }, { parent }),
            );
            return deployed && { id: deployed.id, sku: deployed.properties.sku.name };
          },
          (error) =>
            `the key vault '${n}': keyVaultSku asks for standard, and the deployed vault could not be read to ` +
            `compare (${error}): a premium vault holding HSM keys should stay premium.`,
          parent,
        );
      },
      conflicts: (deployed) => vaultSkuConflicts(deployed, args.premium),
    },
  ).apply(([n]) => n);
  const vault = new keyvault.Vault(
    name,
    {
      vaultName,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      properties: {
        tenantId: args.tenantId,
        sku: {
          family: keyvault.SkuFamily.A,
          name: args.premium ? keyvault.SkuName.Premium : keyvault.SkuName.Standard,
        },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        ...vaultNetworkProperties(args.network),
      },
      tags: args.tags,
    },
    { parent, protect: args.protect },
  );
  const ref = { id: vault.id, name: vault.name, uri: vault.properties.apply((p) => p.vaultUri ?? "") };
  managementLock(name, vault.id, args.lock ?? lockFor(args.protect, args.purpose), parent, vault);
  const writes = new Serial();
  let endpoint: PrivateEndpointResources | undefined;
  const connectPrivateEndpoint = () => {
    if (!endpoint) {
      // The endpoint is the chain's link (the vault's next write); its zone group follows it.
      let created: PrivateEndpointResources | undefined;
      writes.next(
        (dependsOn) =>
          (created = privateEndpoint(
            name,
            {
              service: "keyVault",
              targetId: vault.id,
              targetName: vault.name,
              target: args.privateEndpoints,
              tags: args.tags,
              dependsOn,
            },
            parent,
          )).endpoint,
      );
      endpoint = created as PrivateEndpointResources;
    }
    return endpoint.endpoint;
  };
  diagnosticSetting(name, vault.id, args.diagnostics, parent);
  roleAssignment(
    name,
    vault.id,
    {
      key: "platform-admins-kv-admin",
      principalId: args.adminGroupId,
      principalType: "Group",
      roleDefinitionId: BuiltInRoles.KeyVaultAdministrator,
      description: "Platform admins administer the platform key vault.",
    },
    parent,
  );
  const privateEndpointResources = () => {
    if (!endpoint) throw new Error(`${name}: privateEndpointResources() before connectPrivateEndpoint()`);
    return [endpoint.endpoint, endpoint.zoneGroup];
  };
  return { vault, ref, writes, connectPrivateEndpoint, privateEndpointResources };
}

/**
 * Key Vault events that page the on-call action group: near expiry (the rotation policy's `notify` action, 30 days
 * before a version expires; for a certificate, "30 days before the expiration date") and expired, for keys, secrets and
 * certificates (the payment API's TLS certificate, imported from an outside CA, is renewed by hand). Both fire for the *current* version only ("Triggered
 * when the current version of a key is expired", https://learn.microsoft.com/azure/event-grid/event-schema-key-vault),
 * so the versions a rotation leaves behind expire without paging anyone. SQL (server-key auto-rotation), Cosmos DB,
 * Storage and Event Hubs (versionless key URIs) move to each new version on their own, and the ML workspace's
 * versioned key moves with the next `up --refresh`; Synapse, the Always Encrypted column master key and (unsettled)
 * Data Factory stay on theirs: the rotation notice below (`ROTATION_NOTICE`) asks for their step by hand. An expired
 * version still unwraps ("Expired keys … will work for decrypt, unwrap, and verify",
 * learn.microsoft.com/azure/key-vault/keys/about-keys-details), so a missed step is a cryptoperiod lapse, not an outage.
 */
export const EXPIRY_ALERTS = [
  {
    key: "near-expiry",
    subscriptionName: "NearExpiryToOnCall",
    eventTypes: [
      "Microsoft.KeyVault.KeyNearExpiry",
      "Microsoft.KeyVault.SecretNearExpiry",
      "Microsoft.KeyVault.CertificateNearExpiry",
    ],
    severity: eventgrid.MonitorAlertSeverity.Sev2,
    alertSeverity: 2,
    description:
      "A Key Vault key, secret or certificate version expires within 30 days: check that rotation ran, or renew the certificate (docs/runbook.md).",
  },
  {
    key: "expired",
    subscriptionName: "ExpiredToOnCall",
    eventTypes: [
      "Microsoft.KeyVault.KeyExpired",
      "Microsoft.KeyVault.SecretExpired",
      "Microsoft.KeyVault.CertificateExpired",
    ],
    severity: eventgrid.MonitorAlertSeverity.Sev1,
    alertSeverity: 1,
    description:
      "A Key Vault key, secret or certificate version has expired: services wrapping with it fail, a gateway serving it fails every handshake (docs/runbook.md).",
  },
] as const;

/**
 * Every new key version in a vault that holds `MANUAL_ROTATION_KEYS` (the rotation policy's, or a manual `az keyvault
 * key rotate`) raises a Sev3 (P3: next business day) alert: for those keys, the step by hand the runbook gives
 * (docs/runbook.md#key-rotated). Not filtered by key name, on purpose: the few other rotations a year in that vault
 * (SQL, storage) are an audit trail of key rotations (PCI DSS 3.7.4) at no cost. (Key Vault's event schema documents
 * the key's name as `data.ObjectName` and in the event's subject, https://learn.microsoft.com/azure/event-grid/event-schema-key-vault;
 * a subject filter would narrow it if the notices became noise.)
 */
export const ROTATION_NOTICE = {
  key: "new-version",
  subscriptionName: "NewVersionToOperations",
  eventTypes: ["Microsoft.KeyVault.KeyNewVersionCreated"],
  severity: eventgrid.MonitorAlertSeverity.Sev3,
  alertSeverity: 3,
} as const;

/** The rotation notice's alert description, naming the keys that need a step (at most 512 characters). */
export function rotationNoticeDescription(keys: readonly string[]): string {
  return `A key in this vault has a new version. If it is ${keys.join(", ")}: its service stays on the old version; do its step in docs/runbook.md#key-rotated before the old version expires.`;
}

export interface ExpiryAlertArgs {
  /** Azure name of the system topic (one per vault: Event Grid allows one system topic per source). */
  readonly systemTopicName: string;
  readonly vaultId: pulumi.Input<string>;
  /** The vault's region (a system topic lives in its source's region). */
  readonly location: string;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Where alerts go: each event's severity picks its priority's action group. */
  readonly routing: AlertRouting;
  /** The topic's delivery failures go here: an expiry alert Event Grid could not deliver is otherwise unseen. */
  readonly diagnostics: DiagnosticSettingsTarget;
  /** Keys of this vault whose rotation needs a step by hand (`MANUAL_ROTATION_KEYS`): adds the rotation notice. */
  readonly manualRotationKeys?: readonly string[];
  /**
   * The vault's writes (`PlatformVault.writes`): each event subscription joins them. Creating one is a write to the
   * vault ("Microsoft.KeyVault/vaults/eventGridFilters/write | Notifies Microsoft.KeyVault that a new EventGrid
   * Subscription for Key Vault is being created", Microsoft's Key Vault resource provider operations), and Key Vault
   * refuses overlapping operations on one vault.
   */
  readonly writes?: Serial;
  readonly tags: Tags;
}

/**
 * Routes the vault's expiry events to the action group: an Event Grid system topic on the vault and one event
 * subscription per severity with the Azure Monitor alert destination, which exists for Key Vault system events
 * only and accepts only the CloudEvents 1.0 schema
 * (https://learn.microsoft.com/azure/event-grid/handler-azure-monitor-alerts,
 * https://learn.microsoft.com/azure/key-vault/general/event-grid-overview). Creates `${name}-events` and
 * `${name}-events-<key>`.
 */
export function keyExpiryAlerts(name: string, args: ExpiryAlertArgs, parent: pulumi.Resource) {
  const topic = new eventgrid.SystemTopic(
    `${name}-events`,
    {
      systemTopicName: args.systemTopicName,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      source: args.vaultId,
      topicType: "Microsoft.KeyVault.vaults",
      tags: args.tags,
    },
    { parent },
  );
  diagnosticSetting(`${name}-events`, topic.id, args.diagnostics, parent);
  // One subscription at a time on the topic (each waits for the previous one).
  const subscriptions: eventgrid.SystemTopicEventSubscription[] = [];
  const notice =
    args.manualRotationKeys && args.manualRotationKeys.length > 0
      ? [{ ...ROTATION_NOTICE, description: rotationNoticeDescription(args.manualRotationKeys) }]
      : [];
  for (const alert of [...EXPIRY_ALERTS, ...notice]) {
    const create = (dependsOn: pulumi.Resource[]) =>
      new eventgrid.SystemTopicEventSubscription(
        `${name}-events-${alert.key}`,
        {
          eventSubscriptionName: alert.subscriptionName,
          systemTopicName: topic.name,
          resourceGroupName: args.resourceGroupName,
          eventDeliverySchema: eventgrid.EventDeliverySchema.CloudEventSchemaV1_0,
          filter: { includedEventTypes: [...alert.eventTypes] },
          destination: {
            endpointType: "MonitorAlert",
            severity: alert.severity,
            actionGroups: [actionGroupFor(args.routing, alert.alertSeverity)],
            description: alert.description,
          },
        },
        { parent, dependsOn: [...dependsOn, ...subscriptions.slice(-1)] },
      );
    subscriptions.push(args.writes ? args.writes.next(create) : create([]));
  }
  return { topic, subscriptions };
}
