/**
 * First-deploy hazards: declarations the mock engine accepts but a real `pulumi up` against Azure refuses, because of
 * how the azure-native provider or the service behaves, not because of the request's schema (the ARM schema check
 * covers that). Each rule names the evidence; the offline preview lists what it finds and fails like a schema error.
 *
 * - azure-native reads a resource before creating it and refuses when the read answers 200, unless the API path has
 *   no DELETE (a "singleton") or a known default state (pulumi-azure-native provider/pkg/azure/client_azcore.go
 *   `CanCreate`, provider/pkg/gen/schema.go `isSingleton`, provider/pkg/openapi/defaults/defaultResourcesState.go):
 *   a resource Azure creates implicitly, with a DELETE in its API, cannot be declared as a typed resource.
 * - azure-native fills in `location` from the resource group on every resource whose body can carry one, the generic
 *   `resources.Resource` included (auto-location, off only for resource-group deployments: pulumi-azure-native#654).
 * - Flex Consumption rejects some site configuration properties (ARM 51021) and has no diagnostic settings.
 * - A standby SQL geo-secondary exists on provisioned GP/BC only and takes no read-scale routing.
 * - NSG rule priorities run from 100 to 4096, one rule per priority and direction (the schema states the range in a
 *   description only, so the schema check cannot see it).
 * - Some parents take one change of their children at a time (SERIALISED_CHILDREN): children that do not wait for
 *   each other race.
 * - A replacement (replaceOnChanges) of a resource with a fixed name must delete the old one first: not a first-deploy
 *   failure, but the update that changes the property fails the same way.
 * - A VNet whose custom DNS servers lie outside it resolves nothing until a peering reaches them; its public Application
 *   Gateway resolves its Key Vault through Azure DNS all the same, from the zones linked to the VNet.
 * - A resource whose ARM id lies under another resource of the program (a child, an extension, a role assignment on
 *   it) must wait for it: names passed as plain strings carry no dependency, and the engine may create the child
 *   first (ParentResourceNotFound, ResourceGroupNotFound, ResourceNotFound). Storage accounts' service singletons
 *   (`blobServices/default`, ...) exist with their account.
 * - Likewise a resource whose inputs name another resource of the program, or something under it, by its ARM id (a
 *   subnet of a VNet, a workspace, a key vault) must wait for it, or Azure may meet a reference to nothing
 *   (LinkedResourceNotFound and the like). Storage resource instance rules name a resource that may come later
 *   (docs/operations.md, first-deploy checks): not asked.
 * - A subnet holds fewer free addresses than the private endpoints placed in it take (Azure keeps five of each subnet,
 *   and an Azure Monitor scope's, a Cosmos DB account's, a registry's or an ML workspace's endpoint takes several):
 *   Azure refuses the endpoints past the last one (subnetAddresses.ts has the counts and their sources).
 * - Two resources of the program are one Azure resource (the same ARM id, which Azure compares without case): the
 *   second create is refused as existing (above), or, where azure-native creates without that read, each `up`
 *   overwrites the other's body.
 */
import type { ResourceRecord } from "../policyRunner";
import { waitsForOf, type Hazard } from "./common";
import { RULES } from "./rules";
import { racingChildren } from "./serialised";
import { parentsNotAwaited, referencesNotAwaited, sharedAzureIds } from "./awaited";

export { at, type Hazard } from "./common";
export { FLEX_REJECTED_SITE_CONFIG, RULES, remoteDnsServers, MUTE_MINUTES, isoMinutes } from "./rules";
export { SERIALISED_CHILDREN } from "./serialised";
export { endpointAddresses, usableAddresses } from "./subnetAddresses";
export { parentsNotAwaited, referencesNotAwaited, sharedAzureIds } from "./awaited";

/**
 * The hazards among a run's resources, in registration order, then the races between serialised children, the
 * children and the references that do not wait for what they name, and the resources declared twice (pure).
 */
export function firstDeployHazards(records: readonly ResourceRecord[]): Hazard[] {
  const out: Hazard[] = [];
  for (const r of records)
    for (const rule of RULES) {
      const message = rule.check(r, records);
      if (message) out.push({ rule: rule.id, urn: r.urn, name: r.name, message });
    }
  const waits = waitsForOf(records);
  return [
    ...out,
    ...racingChildren(records, waits),
    ...parentsNotAwaited(records, waits),
    ...referencesNotAwaited(records, waits),
    ...sharedAzureIds(records),
  ];
}

/** The preview's section. */
export function formatHazards(hazards: readonly Hazard[]): string {
  if (hazards.length === 0) return "First-deploy hazards (provider and service behaviour the schemas don't show): none";
  return [
    `First-deploy hazards (provider and service behaviour the schemas don't show): ${hazards.length}`,
    ...hazards.map((h) => `    ✗ ${h.name} [${h.rule}]: ${h.message}`),
  ].join("\n");
}

/** The Markdown report's section (the pull-request job summary). */
export function hazardsMarkdown(hazards: readonly Hazard[]): string {
  if (hazards.length === 0) return "## First-deploy hazards\n\nNone.\n";
  return [
    "## First-deploy hazards",
    "",
    "Declarations the schemas accept but azure-native or the service refuses at `pulumi up` (tools/lib/hazards/):",
    "",
    ...hazards.map((h) => `- **${h.name}** (\`${h.rule}\`): ${h.message}`),
    "",
  ].join("\n");
}
