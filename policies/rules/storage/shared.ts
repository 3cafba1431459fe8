/** The storage rules' type tokens and documentation root. */

export const ACCOUNT = "azure-native:storage:StorageAccount";
export const CONTAINER = "azure-native:storage:BlobContainer";
export const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";
export const ENCRYPTION_SCOPE = "azure-native:storage:EncryptionScope";
export const URL = "https://learn.microsoft.com/azure/storage/common";
