/** The management locks that refuse a deletion: those above the resource, and on a private endpoint's target. */
import type { ResourceRecord } from "../policyRunner";
import { sdkTypeOf } from "../sdkType";
import type { Lock } from "./common";

/**
 * Types whose deletion sends Azure no ARM DELETE, which is all a `CanNotDelete` lock refuses ("authorized users can
 * read and modify a resource, but they can't delete it"; locks apply to Resource Manager requests, not to a
 * service's data plane: azure-resource-manager/management/lock-resources). Key Vault keys and secrets have no ARM
 * DELETE: azure-native deletes them with the vault's key and secret clients (pulumi-azure-native
 * provider/pkg/resources/customresources/custom_keyvault.go). Settings Azure creates with their parent are put back to
 * their default state by a PUT, or left (SQL database TDE), never deleted (provider/pkg/openapi/defaults/
 * defaultResourcesState.go); a site's app settings and publishing policies have no DELETE in their API.
 */
const NOT_DELETED_IN_AZURE: readonly string[] = [
  "azure-native:keyvault:Key",
  "azure-native:keyvault:Secret",
  "azure-native:eventhub:NamespaceNetworkRuleSet",
  "azure-native:sql:BackupShortTermRetentionPolicy",
  "azure-native:sql:DataMaskingPolicy",
  "azure-native:sql:EncryptionProtector",
  "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy",
  "azure-native:sql:ExtendedServerBlobAuditingPolicy",
  "azure-native:sql:LongTermRetentionPolicy",
  "azure-native:sql:ServerSecurityAlertPolicy",
  "azure-native:sql:TransparentDataEncryption",
  "azure-native:storage:BlobServiceProperties",
  "azure-native:synapse:SqlPoolTransparentDataEncryption",
  "azure-native:web:WebAppApplicationSettings",
  "azure-native:web:WebAppFtpAllowed",
  "azure-native:web:WebAppScmAllowed",
];

/**
 * The management locks of the base and the head: one declared in both is one lock, and one the change moves holds
 * both scopes (the old one until its replacement's deletion, which comes with the other deletions).
 */
export function locksOf(base: readonly ResourceRecord[], head: readonly ResourceRecord[]): Lock[] {
  const locks = new Map<string, Lock>();
  for (const r of [...base, ...head])
    if (sdkTypeOf(r) === "azure-native:authorization:ManagementLockByScope" && typeof r.inputs.scope === "string")
      locks.set(`${r.urn}\u0000${r.inputs.scope.toLowerCase()}`, { name: r.name, scope: r.inputs.scope });
  return [...locks.values()];
}

/** Private endpoints: deleting one deletes its connection on its target too. */
export const ENDPOINT_TYPES: readonly string[] = [
  "azure-native:network:PrivateEndpoint",
  "azure-native:datafactory:ManagedPrivateEndpoint",
];

/** The ARM ids a private endpoint's deletion also deletes a connection under: its targets. */
function endpointTargets(r: ResourceRecord): string[] {
  const links = ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"].flatMap((k) => {
    const list = r.inputs[k];
    return Array.isArray(list) ? list : [];
  });
  const ids =
    sdkTypeOf(r) === "azure-native:network:PrivateEndpoint"
      ? links.map((c) => (c as { privateLinkServiceId?: unknown }).privateLinkServiceId)
      : sdkTypeOf(r) === "azure-native:datafactory:ManagedPrivateEndpoint"
        ? [(r.inputs.properties as { privateLinkResourceId?: unknown } | undefined)?.privateLinkResourceId]
        : [];
  return ids.filter((id): id is string => typeof id === "string");
}

/**
 * The locks that refuse deleting `r` (pure): those on a resource above it, not on itself (its own lock waits for it,
 * so Pulumi deletes the lock first), and those on a private endpoint's target or above it; outermost first, each once.
 */
export function locksOver(r: ResourceRecord, locks: readonly Lock[]): Lock[] {
  if (
    sdkTypeOf(r) === "azure-native:authorization:ManagementLockByScope" ||
    NOT_DELETED_IN_AZURE.includes(sdkTypeOf(r))
  )
    return [];
  const under = (id: string, strictly: boolean) =>
    locks.filter((l) => {
      const [own, scope] = [id.toLowerCase(), l.scope.toLowerCase()];
      return own.startsWith(`${scope}/`) || (!strictly && own === scope);
    });
  const found = new Set([...(r.id ? under(r.id, true) : []), ...endpointTargets(r).flatMap((t) => under(t, false))]);
  return [...found].sort((a, b) => a.scope.length - b.scope.length);
}
