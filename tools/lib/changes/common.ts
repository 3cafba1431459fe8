/** What the change lists share: a planned change and a management lock. */

export interface PlannedChange {
  readonly kind: "delete" | "replace" | "rename" | "forget" | "update";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The base protects it: `pulumi up` refuses to delete or replace it. */
  readonly protected: boolean;
  /** One of the stateful types (policies/rules/protection/shared.ts): its data goes with it. */
  readonly stateful: boolean;
  /** What makes it a replacement: `id` or the changed property paths. */
  readonly because?: readonly string[];
  /** A rename: the head's URN and name for the same Azure resource. */
  readonly renamedTo?: { readonly urn: string; readonly name: string };
  /** An update: the changed input paths a preview of the deployed stack compares with Azure first (CHECKED_AT_DEPLOY). */
  readonly checked?: readonly string[];
  /** An update that interrupts a service (DISRUPTIVE_UPDATES): the changed path and what Azure does. */
  readonly disrupts?: readonly { readonly path: string; readonly what: string }[];
  /**
   * A deletion (a delete, a replacement, a rename) Azure refuses with `ScopeLocked`: every management lock, of the base
   * or the head, on a resource above it or on a private endpoint's target (logical name and scope, outermost first).
   */
  readonly locked?: readonly Lock[];
  /**
   * A table-retention deployment (components/operations/retention.ts) that stops naming tables, updated or deleted:
   * Azure keeps their retention (the deployment's update or deletion does not touch them), and the command that returns
   * each to the workspace's.
   */
  readonly leaves?: { readonly tables: readonly string[]; readonly reset: string };
}

/** A management lock: its logical name and the id of what it locks. */
export interface Lock {
  readonly name: string;
  readonly scope: string;
}
