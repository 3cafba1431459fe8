/**
 * What a storage account's SKU name says of its redundancy (`Standard_RAGZRS`: Standard, zone-redundant, geo-redundant,
 * with read access to the pair's copy): the one place that knows the names, for the config's checks (lib/config) and
 * the deployed lake's (components/shared/storageRedundancy.ts).
 * https://learn.microsoft.com/azure/storage/common/storage-redundancy
 */
/** What a SKU name says of the account's redundancy. */
export interface Redundancy {
  readonly tier: "Standard" | "Premium";
  /** Zone-redundant in the primary region (ZRS, GZRS, RA-GZRS). */
  readonly zonal: boolean;
  /** Replicated to the region's pair (GRS, RA-GRS, GZRS, RA-GZRS). */
  readonly geo: boolean;
  /** Read access to the pair's copy (RA-GRS, RA-GZRS). */
  readonly readAccess: boolean;
}

/** `Standard_RAGZRS` → Standard, zonal, geo, read access; undefined for a name this does not know. */
export function redundancyOf(sku: string): Redundancy | undefined {
  const m = /^(Standard|Premium)_(RA)?(G)?(Z)?(LRS|RS)$/.exec(sku);
  if (!m) return undefined;
  const [, tier, ra, g, z, tail] = m;
  // LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS (the tail is LRS only for LRS itself).
  if ((tail === "LRS") !== (!ra && !g && !z)) return undefined;
  if (ra && !g) return undefined;
  return { tier: tier as Redundancy["tier"], zonal: Boolean(z), geo: Boolean(g), readAccess: Boolean(ra) };
}

/** The SKU name of a redundancy (the inverse of redundancyOf). */
export function skuOf(r: Redundancy): string {
  if (!r.zonal && !r.geo) return `${r.tier}_LRS`;
  return `${r.tier}_${r.readAccess ? "RA" : ""}${r.geo ? "G" : ""}${r.zonal ? "Z" : ""}RS`;
}
