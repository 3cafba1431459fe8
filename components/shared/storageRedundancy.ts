/**
 * A storage account's redundancy (its SKU) as Azure changes it on a deployed account: which changes the program's
 * update may send, which Azure refuses as an update, which it takes with a cost or a gap worth a warning.
 *
 * "Change how a storage account is replicated" (learn.microsoft.com/azure/storage/common/redundancy-migration,
 * ms.date 10/10/2025), its table of changes:
 * - adding or removing geo-redundancy or read access while zone redundancy stays (LRS ↔ GRS/RA-GRS, ZRS ↔ GZRS/RA-GZRS)
 *   is "Use Azure portal, PowerShell, or CLI": the SKU's update (`az storage account update --sku`), which the program's
 *   update is too. "Adding geo-redundancy incurs a one-time egress charge"; "failover to the secondary region can't be
 *   initiated until data synchronization between the two regions is complete"; "If you remove geo-redundancy ... your
 *   replicated data is deleted from the secondary location", and removing read access is "billed as RA-GRS for an
 *   additional 30 days";
 * - adding or removing zone redundancy (LRS ↔ ZRS, GRS ↔ GZRS) is "Perform a conversion": a migration Microsoft runs
 *   (`az storage account migration start`), not an update; with the geo-redundancy changed too, "First ... switch to"
 *   the SKU with the new geo-redundancy, "then perform a conversion". Sent as an update, Azure refuses it
 *   (`StorageAccountTypeConversionNotAllowed`, "The storage account does not support SKU conversion", srp_error_codes);
 * - Standard and Premium are different account types: no change between them (a new account and a copy).
 * While a conversion runs the account reports `storageAccountSkuConversionStatus` `InProgress` and its old SKU; a
 * conversion asked for but not begun yet ("typically begins within 72 hours") shows only in the account's
 * `accountMigrations/default` (`migrationStatus` `SubmittedForConversion`, then `InProgress`: what `az storage account
 * migration show` reads). "After a zone-redundancy conversion, you must wait at least 72 hours before changing the
 * redundancy setting of the storage account again" (redundancy-migration, "Timing and frequency").
 */
import { redundancyOf, skuOf } from "../../lib/storageSku";
import type { CreationOnlyConflict } from "./deployed";

export { redundancyOf, skuOf, type Redundancy } from "../../lib/storageSku";

/** The deployed account as the check reads it (getStorageAccount's `sku.name` and conversion status). */
export interface DeployedRedundancy {
  readonly sku: string;
  /** `storageAccountSkuConversionStatus`: `InProgress`, `Succeeded` or `Failed`, the target and the end time. */
  readonly conversion?: { readonly status?: string; readonly targetSku?: string; readonly endTime?: string };
  /** `accountMigrations/default`'s `properties` (read only when the SKU changes): a conversion asked for. */
  readonly migration?: { readonly status?: string; readonly targetSku?: string };
}

/** How long Azure takes no redundancy change after a zone conversion (redundancy-migration, "Timing and frequency"). */
export const CONVERSION_HOLD_MS = 72 * 3_600_000;

/** Where the account is: for the commands the messages give. */
export interface AccountRef {
  readonly accountName: string;
  readonly resourceGroupName: string;
  /** The region the account's geo-redundant copy is in (the location's pair), when known. */
  readonly pair?: string;
}

/**
 * What changing a deployed account's SKU from `deployed.sku` to `wanted` meets: a conflict `refused` when Azure
 * refuses it as an update (the zone redundancy, the tier, a conversion still running), `advised` when it takes it
 * with a cost or a gap to know of (geo-redundancy added or removed, read access removed). None for the same SKU or
 * read access added.
 */
export function redundancyConflicts(
  deployed: DeployedRedundancy,
  wanted: string,
  key: string,
  account: AccountRef,
  now: Date = new Date(),
): CreationOnlyConflict[] {
  const az = `-g ${account.resourceGroupName} -n ${account.accountName}`;
  if (wanted === deployed.sku) return [];
  const show = `\`az storage account migration show --account-name ${account.accountName} -g ${account.resourceGroupName} --name default\``;
  const pending = ["SubmittedForConversion", "InProgress"].includes(deployed.migration?.status ?? "")
    ? { status: deployed.migration?.status ?? "", target: deployed.migration?.targetSku }
    : deployed.conversion?.status === "InProgress"
      ? { status: "InProgress", target: deployed.conversion.targetSku }
      : undefined;
  if (pending)
    return [
      {
        key,
        kind: "refused",
        deployed: `${deployed.sku} (a conversion to ${pending.target ?? "another SKU"} ${pending.status === "InProgress" ? "in progress" : "submitted, not begun"})`,
        wanted,
        remedy:
          `Azure takes no SKU change while a conversion is pending or runs (it can take weeks): set ${key} back to ` +
          `${deployed.sku} meanwhile (an unchanged SKU passes), and once ${show} reports Complete, set it to ` +
          `${pending.target ?? "the new SKU"} and pulumi up --refresh.`,
      },
    ];
  const ended = deployed.conversion?.status === "Succeeded" ? Date.parse(deployed.conversion.endTime ?? "") : NaN;
  if (Number.isFinite(ended) && now.getTime() - ended < CONVERSION_HOLD_MS)
    return [
      {
        key,
        kind: "refused",
        deployed: `${deployed.sku} (converted ${new Date(ended).toISOString()})`,
        wanted,
        remedy:
          `"After a zone-redundancy conversion, you must wait at least 72 hours before changing the redundancy ` +
          `setting of the storage account again" (redundancy-migration): keep ${deployed.sku} until ` +
          `${new Date(ended + CONVERSION_HOLD_MS).toISOString()}.`,
      },
    ];
  const from = redundancyOf(deployed.sku);
  const to = redundancyOf(wanted);
  if (!from || !to) return [];
  const conflict = (kind: CreationOnlyConflict["kind"], remedy: string): CreationOnlyConflict[] => [
    { key, kind, deployed: deployed.sku, wanted, remedy },
  ];
  if (from.tier !== to.tier)
    return conflict(
      "refused",
      `Azure does not convert between Standard and Premium accounts (redundancy-migration): set ${deployed.sku} ` +
        `back, or create a new account and copy the data.`,
    );
  if (from.zonal !== to.zonal) {
    // First the geo-redundancy (an update), then the zones (a conversion, which keeps the geo-redundancy).
    const step = skuOf({ ...from, geo: to.geo, readAccess: to.readAccess });
    const first = step !== deployed.sku ? `\`az storage account update ${az} --sku ${step}\`, then ` : "";
    return conflict(
      "refused",
      `${to.zonal ? "Adding" : "Removing"} zone redundancy is a conversion Microsoft runs, not an update Azure takes ` +
        `(redundancy-migration: "Perform a conversion"): set ${deployed.sku} back, or run ${first}` +
        `\`az storage account migration start --account-name ${account.accountName} -g ${account.resourceGroupName} ` +
        `--sku ${wanted} --no-wait --yes\` (Microsoft: it typically begins within 72 hours and completes in a few ` +
        `days, up to several weeks; an account with a hierarchical namespace, as a data lake, may pause under 30 ` +
        `seconds), keep ${key} at ${step} meanwhile (the SKU the account has until then) until ${show} reports ` +
        `Complete, then pulumi up --refresh.`,
    );
  }
  const pair = account.pair ? ` in ${account.pair}` : "";
  if (!from.geo && to.geo)
    return conflict(
      "advised",
      `Azure takes it as an update and copies the account's data to its pair region${pair}: a one-time egress ` +
        `charge for every byte, and no failover until that first copy ends (\`az storage account show ${az} ` +
        `--expand geoReplicationStats\`: status Bootstrap until then, Live after).` +
        (from.zonal
          ? ""
          : " Archived blobs can stop the change (storage-redundancy-change-faq): rehydrate them first."),
    );
  if (from.geo && !to.geo)
    return conflict(
      "advised",
      `Azure takes it as an update and deletes the copy${pair}` +
        (from.readAccess ? "; read access to it stays billed for 30 more days" : "") +
        `: the account then has no copy outside its region.`,
    );
  if (from.readAccess && !to.readAccess)
    return conflict(
      "advised",
      `Azure takes it as an update; the account stays billed at the read-access rate for 30 more days, and readers ` +
        `of the secondary endpoint (-secondary) lose it.`,
    );
  return [];
}
