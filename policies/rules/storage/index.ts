/**
 * Storage accounts (ADLS Gen2 landing zone, audit exports, function and Stream Analytics job storage), their blob
 * containers and blob service settings. PCI DSS 1.3/1.4 (network), 3.5 (encryption), 4.2.1 (transport), 7/8
 * (authorisation), 10.3/12.10 (recoverability); GDPR Art. 25, 32, 44 (replication across tenants/regions).
 */
import type { Policies } from "@pulumi/policy";
import {
  httpsOnly,
  minimumTls,
  blobPublicAccess,
  storageNetwork,
  sharedKey,
  infrastructureEncryption,
  customerManagedKey,
  crossTenantReplication,
  storageSku,
} from "./account";
import { containerPublicAccess, blobSoftDelete, blobSoftDeleteCoverage } from "./blobs";
import { dataLakeCustomerManagedKey, dataLakeCopyScope, encryptionScopeKey } from "./dataLake";

export * from "./shared";
export * from "./account";
export * from "./blobs";
export * from "./dataLake";

export const storagePolicies: Policies = [
  httpsOnly,
  minimumTls,
  blobPublicAccess,
  storageNetwork,
  sharedKey,
  infrastructureEncryption,
  customerManagedKey,
  crossTenantReplication,
  storageSku,
  containerPublicAccess,
  blobSoftDelete,
  blobSoftDeleteCoverage,
  dataLakeCustomerManagedKey,
  dataLakeCopyScope,
  encryptionScopeKey,
];
