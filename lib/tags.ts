/**
 * Tags (pure): every taggable resource carries the environment, owner, cost centre, data classification and PCI
 * scope. The policy pack's `azure-native-general-resource-missing-required-tags` rule checks the same keys.
 */

export type DataClassification = "public" | "internal" | "confidential" | "restricted";
/** PCI DSS scoping: `cde` stores/processes card data, `connected` can affect it, `out-of-scope` neither. */
export type PciScope = "cde" | "connected" | "out-of-scope";

export interface TagContext {
  readonly environment: string;
  readonly owner: string;
  readonly costCenter: string;
  /** Extra tags from stack config (cannot override the required keys). */
  readonly extra?: Readonly<Record<string, string>>;
}

export interface TagOptions {
  readonly dataClassification: DataClassification;
  readonly pciScope: PciScope;
  /** The tier that owns the resource (`platform`, `oltp`, `nosql`, …). */
  readonly component: string;
}

export function tagsFor(ctx: TagContext, opts: TagOptions): Record<string, string> {
  return {
    ...(ctx.extra ?? {}),
    environment: ctx.environment,
    owner: ctx.owner,
    "cost-center": ctx.costCenter,
    "data-classification": opts.dataClassification,
    "pci-scope": opts.pciScope,
    component: opts.component,
    "managed-by": "pulumi",
  };
}
