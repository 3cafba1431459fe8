/**
 * Operations Azure applies one at a time on the same parent resource: Cosmos DB data-plane role assignments on one
 * account (HTTP 412 "another user operation in progress … exclusive lock" when they overlap), rule collection groups
 * of one firewall policy, event subscriptions of one topic, function apps joining one integration subnet
 * (`IntegrationSubnet`). A `Serial` hands each new resource the previous one as
 * its `dependsOn`, starting after what must exist first; components keep one per parent, so grants added later (by
 * another tier, through the component's method) join the same chain instead of racing it.
 */
import type * as pulumi from "@pulumi/pulumi";

export class Serial {
  private last: pulumi.Resource[];

  /** `after`: what the first operation waits for (e.g. the account's containers and private endpoint). */
  constructor(after: readonly pulumi.Resource[] = []) {
    this.last = [...after];
  }

  /** Creates the next resource with `dependsOn` = the previous one (or `after` for the first); returns it. */
  next<T extends pulumi.Resource>(create: (dependsOn: pulumi.Resource[]) => T): T {
    const resource = create(this.last);
    this.last = [resource];
    return resource;
  }

  /** What the next operation would wait for (for tests and for resources that only need to follow the chain). */
  get tail(): readonly pulumi.Resource[] {
    return this.last;
  }
}
