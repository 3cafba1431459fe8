/**
 * Operations Azure applies one at a time on the same parent resource: Cosmos DB data-plane role assignments on one
 * account (HTTP 412 "another user operation in progress … exclusive lock" when they overlap), function apps joining
 * one integration subnet (`IntegrationSubnet`), a storage account's containers, policies and private endpoint
 * connections (the lake, a function app's host storage, the ML workspace's storage), a function app's own settings,
 * publishing policies and endpoint, links to the Azure Monitor private link scope, a Synapse workspace's private
 * endpoints, a dedicated pool's workload groups and classifiers, Data Factory's managed private endpoints, a key vault's
 * keys and private endpoint connection (components/platform/keyVaults.ts `PlatformVault.writes`). A `Serial` hands each new resource every earlier link of the chain as its `dependsOn`
 * (the first one: what must exist first); components keep one per parent, so grants added later (by another tier,
 * through the component's method) join the same chain instead of racing it.
 *
 * Every earlier link, not just the previous one: Pulumi orders deletes on direct dependencies only (its delete
 * scheduler intersects a resource's direct dependencies with the condemned set: pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, `ScheduleDeletes`), so removing two links that are not neighbours (a reader's
 * two grants, with another principal's between them) would send both deletes to the parent at once, and Azure locks
 * a Cosmos DB account on a role assignment's delete as on its create. With an edge between every pair, creates run in
 * chain order and deletes in the reverse order, whatever subset goes. `after` is an edge of every link too, for the
 * same reason: removing it with a later link (not the first) deletes that link first.
 */
import type * as pulumi from "@pulumi/pulumi";

export class Serial {
  private readonly after: pulumi.Resource[];
  private readonly links: pulumi.Resource[] = [];

  /** `after`: what the first operation waits for (e.g. the account's containers and private endpoint). */
  constructor(after: readonly pulumi.Resource[] = []) {
    this.after = [...after];
  }

  /** Creates the next resource with `dependsOn` = `after` and every earlier link; returns it. */
  next<T extends pulumi.Resource>(create: (dependsOn: pulumi.Resource[]) => T): T {
    const resource = create(this.tail);
    this.links.push(resource);
    return resource;
  }

  /** What the next operation waits for: `after` and every link so far. */
  get tail(): pulumi.Resource[] {
    return [...this.after, ...this.links];
  }
}
