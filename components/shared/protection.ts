/**
 * Protection of stateful resources in prod: Pulumi `protect` (no `pulumi destroy` or replacement without an
 * explicit unprotect) and an Azure `CanNotDelete` management lock (no deletion from the portal or CLI either).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import type * as pulumi from "@pulumi/pulumi";
import type { LockSpec } from "./interfaces";

/** The lock to apply when protection is on. */
export function lockFor(protect: boolean, what: string): LockSpec {
  return protect
    ? { kind: "CanNotDelete", notes: `Protects ${what} (stateful, PCI DSS scope) from deletion. Managed by Pulumi.` }
    : { kind: "None" };
}

/** Creates `${name}-lock` on `scope` (the resource id) unless the spec is `None`. */
export function managementLock(
  name: string,
  scope: pulumi.Input<string>,
  spec: LockSpec,
  parent: pulumi.Resource,
  resource: pulumi.Resource,
  /** Left in Azure when the program drops it (a retained resource keeps its lock). */
  retainOnDelete = false,
): authorization.ManagementLockByScope | undefined {
  if (spec.kind === "None") return undefined;
  return new authorization.ManagementLockByScope(
    `${name}-lock`,
    {
      scope,
      lockName: spec.kind === "CanNotDelete" ? "do-not-delete" : "read-only",
      level: authorization.LockLevel[spec.kind],
      notes: spec.notes,
    },
    { parent, dependsOn: [resource], ...(retainOnDelete ? { retainOnDelete } : {}) },
  );
}
