/**
 * Blob containers without public access, and blob and container soft delete on every account.
 */
import type * as storage from "@pulumi/azure-native/storage";
import { ofType, refersTo, resourcePolicy, stackPolicy } from "../../lib/policy";
import { safeGet, sameText, who } from "../../lib/values";
import { ACCOUNT, CONTAINER, BLOB_SERVICE } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Blob containers and soft delete
// ---------------------------------------------------------------------------------------------------------------

export const containerPublicAccess = resourcePolicy<storage.BlobContainerArgs>(
  {
    name: "azure-native-storage-blobcontainer-disallow-public-access",
    description: "Blob containers allow no anonymous access.",
    severity: "critical",
    pci: ["1.4.4", "7.2.1"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.1"],
    service: "storage",
    remediationSteps: 'Set `publicAccess: "None"` (or leave it unset).',
    url: "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-configure",
  },
  CONTAINER,
  (props, args, report) => {
    // Absent = None (private), the Azure default.
    if (props.publicAccess !== undefined && !sameText(props.publicAccess, "None")) {
      report(`${who(args)} allows anonymous '${props.publicAccess}' access: set publicAccess to "None".`);
    }
  },
);

/** What the two soft-delete rules share: the recovery controls they enforce and where they are documented. */
const SOFT_DELETE_RULE = {
  severity: "medium",
  pci: ["10.3.2", "12.10.1"],
  gdpr: ["32(1)(c)"],
  soc2: ["A1.2"],
  service: "storage",
  url: "https://learn.microsoft.com/azure/storage/blobs/soft-delete-blob-overview",
} as const;

export const blobSoftDelete = resourcePolicy<storage.BlobServicePropertiesArgs>(
  {
    name: "azure-native-storage-blobserviceproperties-enable-soft-delete",
    description:
      "Blob services keep deleted blobs and containers for at least the configured number of days, so deleted or overwritten data (including log exports) can be recovered.",
    ...SOFT_DELETE_RULE,
    remediationSteps:
      "Set `deleteRetentionPolicy: { enabled: true, days: 7 }` and `containerDeleteRetentionPolicy: { enabled: true, days: 7 }` or more (config `minRetentionDays`); keep `deleteRetentionPolicy.allowPermanentDelete` false or unset (false is Azure's default).",
    config: {
      minRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 365,
        default: 7,
        description: "Minimum soft-delete days.",
      },
    },
  },
  BLOB_SERVICE,
  (props, args, report) => {
    const { minRetentionDays: min } = args.getConfig<{ minRetentionDays: number }>();
    // Either policy absent = soft delete off for that object kind.
    for (const key of ["deleteRetentionPolicy", "containerDeleteRetentionPolicy"] as const) {
      const policy = props[key];
      if (policy?.enabled !== true || (policy.days ?? 0) < min) {
        report(
          `${who(args)} ${policy?.enabled === true ? `keeps ${key === "deleteRetentionPolicy" ? "blobs" : "containers"} only ${policy.days ?? 0} days` : "has soft delete off"}: set ${key} to { enabled: true, days: ${min} } or more.`,
        );
      }
    }
    if (props.deleteRetentionPolicy?.allowPermanentDelete === true) {
      report(
        `${who(args)} lets soft-deleted versions be purged: set deleteRetentionPolicy.allowPermanentDelete to false (or leave it unset).`,
      );
    }
  },
);

export const blobSoftDeleteCoverage = stackPolicy(
  {
    name: "azure-native-storage-storageaccount-missing-blob-service-properties",
    description:
      "Every storage account declares its blob service properties, so the soft-delete rule has something to check: an account without them keeps Azure's default, no soft delete.",
    ...SOFT_DELETE_RULE,
    remediationSteps:
      'Add a `storage.BlobServiceProperties` ("default") for the account with `deleteRetentionPolicy` and `containerDeleteRetentionPolicy` enabled.',
  },
  (args, report) => {
    // A FileStorage account has no blob service.
    const accounts = ofType(args.resources, ACCOUNT).filter((a) => !sameText(safeGet(a.props, "kind"), "FileStorage"));
    if (accounts.length === 0) args.notApplicable("no storage accounts");
    const services = ofType(args.resources, BLOB_SERVICE);
    for (const account of accounts) {
      // Wired to the account (its name output, a dependency on it), or naming it in accountName.
      const declared = services.some((s) =>
        refersTo(s, account, { properties: ["accountName"], byName: { nameKeys: ["accountName"] } }),
      );
      if (!declared) {
        report(
          `${who(account)} declares no blob service properties, so soft delete stays off: add a storage.BlobServiceProperties for it.`,
          account.urn,
        );
      }
    }
  },
);
