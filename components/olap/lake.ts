/**
 * The data lake (ADLS Gen2) of the analytical tier: one StorageV2 account with a hierarchical namespace, reached
 * only through its `blob` and `dfs` private endpoints, Entra-only (no Shared Key, no SAS, no anonymous access),
 * TLS 1.2, double encryption (infrastructure + the platform's storage customer-managed key through its
 * user-assigned identity), soft delete, a lifecycle policy from the config's ages, and diagnostics on the blob
 * service. Created as children of the Olap component.
 */
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { EU_REGION_PAIRS, type OlapConfig } from "../../lib/config";
import { armResourceId } from "../../lib/naming";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  deployer,
  readArm,
  readOrWarn,
  redundancyConflicts,
  storageServiceDiagnostics,
  hardenedStorageAccount,
  managementLock,
  privateEndpoint,
  Serial,
  type CustomerManagedKey,
  type DeployedRedundancy,
  type DiagnosticSettingsTarget,
  type LockSpec,
  type PrivateEndpointTarget,
  type StackContext,
  type Tags,
} from "../shared";
import { FILE_SYSTEMS, lifecycleRules, type FileSystemRole } from "./settings";

/** The API version of the lake's migration read (the one azure-native 3 sends for storage accounts). */
export const STORAGE_API_VERSION = "2024-01-01";

export interface DataLakeArgs {
  readonly context: StackContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly suffix: pulumi.Output<string>;
  /** The Synapse workspace's Azure name: the lake's firewall admits that workspace (resource instance rule). */
  readonly workspaceName: pulumi.Input<string>;
  readonly lake: OlapConfig["lake"];
  /** The platform's storage key and its identity (Key Vault Crypto Service Encryption User on the key). */
  readonly customerManagedKey: CustomerManagedKey;
  readonly privateEndpoints: PrivateEndpointTarget;
  readonly diagnosticSettings: DiagnosticSettingsTarget;
  readonly protect: boolean;
  readonly lock: LockSpec;
  readonly tags: Tags;
}

export interface DataLake {
  readonly account: storage.StorageAccount;
  /** Containers by role, each created after the previous one (one account, one management operation at a time). */
  readonly fileSystems: Readonly<Record<FileSystemRole, storage.BlobContainer>>;
  /** `https://<account>.dfs.core.windows.net/` */
  readonly dfsEndpoint: pulumi.Output<string>;
  /** `https://<account>.blob.core.windows.net/` */
  readonly blobEndpoint: pulumi.Output<string>;
  /** The last management operation on the account: later account-level changes wait for it. */
  readonly settled: pulumi.Resource;
}

/** Creates the lake's resources as children of `parent`, named `${name}-lake-*`. */
export function dataLake(name: string, args: DataLakeArgs, parent: pulumi.Resource): DataLake {
  const { context, lake, customerManagedKey: cmk, tags } = args;
  const rg = args.resourceGroupName;
  // The platform's hardened account (shared/storage.ts) as ADLS Gen2: hierarchical namespace (create-only); blob and
  // file encrypted with the storage key. Private endpoints, plus one resource instance rule: the stack's Synapse
  // workspace. Its Spark and pipelines reach the lake through the managed private endpoint (managed VNet), but the
  // dedicated and serverless SQL pools "use multi-tenant infrastructure that is not deployed into the managed
  // virtual network" and reach a firewalled account only through a resource instance rule for the workspace,
  // authenticated by its system identity (synapse-analytics/security/connect-to-a-secure-storage-account.md): COPY
  // INTO, serverless queries and the vulnerability scans' writes. The rule opens the public endpoint to that one
  // workspace; the firewall denies everything else, with no trusted-services bypass.
  const client = deployer();
  const workspaceId = pulumi
    .all([client.subscriptionId, rg, args.workspaceName])
    .apply(([subscriptionId, group, workspaceName]) =>
      armResourceId(subscriptionId, group, "Microsoft.Synapse/workspaces", workspaceName),
    );
  // A deployed lake changes redundancy in place only within its zone redundancy (redundancyConflicts): a preview of
  // a deployed stack reads the account and refuses `lake.sku` across it, warns on geo-redundancy added or removed.
  const accountName = afterCreationOnlyCheck(
    pulumi.all([context.globalName("storageAccount", args.suffix, "lake"), pulumi.output(rg)]),
    {
      resource: ([n]) => `the data lake '${n}'`,
      read: async ([accountName, resourceGroupName]) => {
        const deployed = await deployedOrNone(() =>
          storage.getStorageAccount({ accountName, resourceGroupName }, { parent }),
        );
        if (deployed === undefined) return undefined;
        const conversion = deployed.storageAccountSkuConversionStatus;
        const account: DeployedRedundancy = {
          sku: deployed.sku.name,
          conversion: {
            status: conversion?.skuConversionStatus,
            targetSku: conversion?.targetSkuName,
            endTime: conversion?.endTime,
          },
        };
        if (account.sku === lake.sku) return account;
        // A conversion asked for and not begun shows only here (azure-native has no read of it): 404 when none.
        const migration = await readOrWarn(
          async () => {
            const body = await readArm(`${deployed.id}/accountMigrations/default`, STORAGE_API_VERSION, { parent });
            const properties = (body?.properties ?? {}) as { migrationStatus?: string; targetSkuName?: string };
            return { status: properties.migrationStatus, targetSku: properties.targetSkuName };
          },
          (error) =>
            `the data lake '${accountName}': olap.lake.sku changes ${account.sku} to ${lake.sku}, and whether a ` +
            `conversion is pending could not be read (${error}): check with \`az storage account migration ` +
            `show --account-name ${accountName} -g ${resourceGroupName} --name default\` before the up.`,
          parent,
        );
        return migration ? { ...account, migration } : account;
      },
      conflicts: (deployed, [accountName, resourceGroupName]) =>
        redundancyConflicts(deployed, lake.sku, "olap.lake.sku", {
          accountName,
          resourceGroupName,
          pair: EU_REGION_PAIRS[context.config.location],
        }),
    },
  ).apply(([n]) => n);
  const account = hardenedStorageAccount(
    `${name}-lake`,
    {
      accountName,
      resourceGroupName: rg,
      location: context.config.location,
      sku: lake.sku,
      hierarchicalNamespace: true,
      customerManagedKey: cmk,
      // Copies (e.g. server-side copy) only from accounts reached through private link in the same VNet.
      allowedCopyScope: storage.AllowedCopyScope.PrivateLink,
      firewall: { resourceInstances: [{ tenantId: client.tenantId, resourceId: workspaceId }] },
      protect: args.protect,
      tags,
    },
    parent,
  );
  const scope = { resourceGroupName: rg, accountName: account.name };

  // Soft delete for blobs and file systems (ADLS Gen2 supports both); blob versioning and point-in-time restore
  // are not available with a hierarchical namespace.
  const blobService = new storage.BlobServiceProperties(
    `${name}-lake-blob`,
    {
      ...scope,
      blobServicesName: "default",
      deleteRetentionPolicy: { enabled: true, days: lake.softDeleteDays, allowPermanentDelete: false },
      containerDeleteRetentionPolicy: { enabled: true, days: lake.softDeleteDays },
    },
    { parent },
  );

  // One management operation on the account at a time: containers, then the lifecycle policy, then each private
  // endpoint's connection, wait in line (a `Serial`, so deletes go one at a time as well).
  const onAccount = new Serial([blobService]);
  const fileSystems = {} as Record<FileSystemRole, storage.BlobContainer>;
  for (const [role, containerName] of Object.entries(FILE_SYSTEMS) as [FileSystemRole, string][]) {
    fileSystems[role] = onAccount.next(
      (dependsOn) =>
        new storage.BlobContainer(
          `${name}-fs-${containerName}`,
          { ...scope, containerName, publicAccess: storage.PublicAccess.None },
          { parent, protect: args.protect, dependsOn },
        ),
    );
  }
  onAccount.next(
    (dependsOn) =>
      new storage.ManagementPolicy(
        `${name}-lake-lifecycle`,
        { ...scope, managementPolicyName: "default", policy: { rules: lifecycleRules(lake) } },
        { parent, dependsOn },
      ),
  );

  const endpoints = account.primaryEndpoints;
  let settled: pulumi.Resource = blobService;
  for (const service of ["storageBlob", "storageDfs"] as const) {
    settled = onAccount.next(
      (dependsOn) =>
        privateEndpoint(
          `${name}-lake-${service === "storageBlob" ? "blob" : "dfs"}`,
          {
            service,
            targetId: account.id,
            targetName: account.name,
            target: args.privateEndpoints,
            tags,
            dependsOn,
          },
          parent,
        ).endpoint,
    );
  }
  // Storage logs live on the services, not the account (the account has metrics only): the blob service carries
  // every read, write and delete of the lake, through blob and dfs alike.
  storageServiceDiagnostics(`${name}-lake-blob`, account.id, "blob", args.diagnosticSettings, parent);
  managementLock(`${name}-lake`, account.id, args.lock, parent, account);

  return {
    account,
    fileSystems,
    dfsEndpoint: endpoints.apply((e) => e.dfs ?? ""),
    blobEndpoint: endpoints.apply((e) => e.blob ?? ""),
    settled,
  };
}
