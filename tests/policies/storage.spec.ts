import { strict as assert } from "node:assert";
import {
  blobPublicAccess,
  blobSoftDelete,
  blobSoftDeleteCoverage,
  containerPublicAccess,
  crossTenantReplication,
  customerManagedKey,
  dataLakeCopyScope,
  dataLakeCustomerManagedKey,
  encryptionScopeKey,
  httpsOnly,
  infrastructureEncryption,
  minimumTls,
  sharedKey,
  storageNetwork,
  storagePolicies,
  storageSku,
} from "../../policies/rules/storage";
import { POLICY_NAME } from "../../policies/lib/policy";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import { blobContainer, blobService, storageAccount } from "./fixtures/storage";
import { vault } from "./fixtures/keyvault";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, mutate, UNKNOWN } from "./helpers";

const account = storageAccount;

describe("policies/storage", () => {
  it("exports well-named policies with metadata", () => {
    assert.equal(storagePolicies.length, 15);
    for (const p of storagePolicies) {
      assert.match(p.name, POLICY_NAME);
      assert.ok(p.description && p.remediationSteps && p.url && p.severity, p.name);
    }
  });

  it("every account policy passes the compliant account and skips other types", async () => {
    const accountPolicies = storagePolicies.filter(
      (p) =>
        p !== containerPublicAccess && p !== blobSoftDelete && p !== blobSoftDeleteCoverage && p !== encryptionScopeKey,
    );
    for (const p of accountPolicies) {
      await expectPass(p as typeof httpsOnly, account());
      await expectNotApplicable(p as typeof httpsOnly, vault());
    }
  });

  describe(httpsOnly.name, () => {
    it("passes when left to the default (true)", () =>
      expectPass(httpsOnly, mutate(account(), "enableHttpsTrafficOnly", undefined)));
    it("fails when HTTP is allowed", () =>
      expectFail(
        httpsOnly,
        mutate(account(), "enableHttpsTrafficOnly", false),
        /stpaydevweu .*allows plain HTTP \(enableHttpsTrafficOnly false\): set enableHttpsTrafficOnly to true/,
      ));
  });

  describe(minimumTls.name, () => {
    it("fails TLS 1.1", () =>
      expectFail(
        minimumTls,
        mutate(account(), "minimumTlsVersion", "TLS1_1"),
        /stpaydevweu .*'TLS1_1': set minimumTlsVersion to "TLS1_2"/,
      ));
    it("fails when absent (Azure reads it as TLS 1.0)", () =>
      expectFail(
        minimumTls,
        mutate(account(), "minimumTlsVersion", undefined),
        /stpaydevweu .*TLS1_0 \(default\).*minimumTlsVersion/,
      ));
  });

  describe(blobPublicAccess.name, () => {
    it("fails when allowed", () =>
      expectFail(
        blobPublicAccess,
        mutate(account(), "allowBlobPublicAccess", true),
        /stpaydevweu .*set allowBlobPublicAccess to false/,
      ));
    it("fails when absent (explicit false required)", () =>
      expectFail(
        blobPublicAccess,
        mutate(account(), "allowBlobPublicAccess", undefined),
        /stpaydevweu .*allowBlobPublicAccess/,
      ));
  });

  describe(storageNetwork.name, () => {
    it("passes a deny-by-default firewall with public access enabled", () =>
      expectPass(storageNetwork, mutate(account(), "publicNetworkAccess", "Enabled")));
    it("fails SecuredByPerimeter, which keeps a public endpoint governed by the perimeter's access rules", () =>
      // Even with a deny-by-default firewall: an associated perimeter's rules decide, not the account's firewall.
      expectFail(
        storageNetwork,
        mutate(account(), "publicNetworkAccess", "SecuredByPerimeter"),
        /stpaydevweu .*publicNetworkAccess "SecuredByPerimeter": .*network security perimeter.*set publicNetworkAccess to "Disabled"/,
      ));
    it("fails public access with an allow-by-default firewall", () =>
      expectFail(
        storageNetwork,
        mutate(mutate(account(), "publicNetworkAccess", "Enabled"), "networkRuleSet.defaultAction", "Allow"),
        /stpaydevweu .*accepts public traffic \(publicNetworkAccess "Enabled", networkRuleSet\.defaultAction "Allow"\): set publicNetworkAccess to "Disabled"/,
      ));
    it("fails when both are absent (public access enabled, firewall allowing, trusted services bypassing)", async () => {
      const r = await evaluatePolicy(
        storageNetwork,
        mutate(mutate(account(), "publicNetworkAccess", undefined), "networkRuleSet", undefined),
      );
      assert.equal(r.messages.length, 2, JSON.stringify(r.messages));
      assert.match(r.messages[0], /stpaydevweu .*networkRuleSet\.bypass unset, "AzureServices" by default/);
      assert.match(r.messages[1], /stpaydevweu .*\(publicNetworkAccess unset, networkRuleSet\.defaultAction unset\)/);
    });
    it("fails a deny-by-default firewall whose IP rules admit a broad range; a narrow one passes", async () => {
      const withRules = (ranges: string[]) =>
        mutate(
          mutate(account(), "publicNetworkAccess", "Enabled"),
          "networkRuleSet.ipRules",
          ranges.map((r) => ({ iPAddressOrRange: r, action: "Allow" })),
        );
      await expectPass(storageNetwork, withRules(["203.0.113.7", "198.51.100.0/28"]));
      await expectFail(
        storageNetwork,
        withRules(["20.0.0.0/8"]),
        /stpaydevweu .*admits the broad range 20\.0\.0\.0\/8 \(networkRuleSet\.ipRules\[0\]\.iPAddressOrRange\)/,
      );
      await expectPass(storageNetwork, withRules(["20.0.0.0/8"]), { minPrefixLength: 8 });
      // A range that does not parse as IPv4 ("*", a /33) is no narrow range: it fails too.
      await expectFail(
        storageNetwork,
        withRules(["203.0.113.7", "*"]),
        /stpaydevweu .*admits the broad range \* \(networkRuleSet\.ipRules\[1\]\.iPAddressOrRange\)/,
      );
      await expectFail(storageNetwork, withRules(["0.0.0.0/33"]), /admits the broad range 0\.0\.0\.0\/33/);
      // With public access disabled the IP rules admit nothing: not checked.
      await expectPass(storageNetwork, mutate(withRules(["20.0.0.0/8"]), "publicNetworkAccess", "Disabled"));
    });
    const open = () => mutate(account(), "publicNetworkAccess", "Enabled");
    const synapse = "/subscriptions/s/resourceGroups/rg-pay-dev-weu-data/providers/Microsoft.Synapse/workspaces/synw-x";
    const instances = (...ids: string[]) =>
      mutate(
        open(),
        "networkRuleSet.resourceAccessRules",
        ids.map((resourceId) => ({ tenantId: "00000000-0000-4000-8000-0000000000aa", resourceId })),
      );
    it("passes resource instance rules that name one resource each", () =>
      expectPass(storageNetwork, instances(synapse)));
    it("fails a wildcard resource instance rule, which admits every matching resource of the tenant", () =>
      expectFail(
        storageNetwork,
        instances(synapse, "/subscriptions/*/resourceGroups/*/providers/Microsoft.Synapse/workspaces/*"),
        /stpaydevweu .*wildcard networkRuleSet\.resourceAccessRules\[1\]\.resourceId "\/subscriptions\/\*\/resourceGroups\/\*\/providers\/Microsoft\.Synapse\/workspaces\/\*": name one resource instance/,
      ));
    it("is undecided while a resource instance rule's id is unknown during preview", () =>
      expectUndecided(storageNetwork, instances(UNKNOWN)));
    it("fails the trusted services bypass (explicit, or absent: the SDK's default), even with public access disabled", async () => {
      await expectFail(
        storageNetwork,
        mutate(open(), "networkRuleSet.bypass", "Logging, AzureServices"),
        /stpaydevweu .*lets trusted Azure services bypass its firewall \(networkRuleSet\.bypass "Logging, AzureServices"\): set networkRuleSet\.bypass to "None"/,
      );
      await expectFail(
        storageNetwork,
        mutate(open(), "networkRuleSet.bypass", undefined),
        /bypass its firewall \(networkRuleSet\.bypass unset, "AzureServices" by default\)/,
      );
      // Trusted access stays allowed with public network access disabled (network-security-perimeter-transition).
      await expectFail(
        storageNetwork,
        mutate(account(), "networkRuleSet.bypass", "AzureServices"),
        /stpaydevweu .*lets trusted Azure services bypass its firewall/,
      );
      await expectPass(storageNetwork, mutate(open(), "networkRuleSet.bypass", "Logging, Metrics"));
    });
    it("accepts the trusted services bypass on an account listed in azureServicesBypassAccounts with a reason", async () => {
      const bypassing = mutate(account(), "networkRuleSet.bypass", "AzureServices");
      const reason = "Azure ML workspace storage: Microsoft asks for the bypass";
      await expectPass(storageNetwork, bypassing, { azureServicesBypassAccounts: [{ pattern: "stpay*", reason }] });
      // Another account's name, or an entry without a real reason, does not count.
      await expectFail(storageNetwork, bypassing, /bypass its firewall/, {
        azureServicesBypassAccounts: [{ pattern: "ml-st", reason }],
      });
      await assert.rejects(
        evaluatePolicy(storageNetwork, bypassing, { azureServicesBypassAccounts: [{ pattern: "stpay*", reason: "" }] }),
        /azureServicesBypassAccounts\[0\]\.reason must have at least 10 characters/,
      );
    });
    it("is undecided while the bypass is unknown during preview", () =>
      expectUndecided(storageNetwork, mutate(account(), "networkRuleSet.bypass", UNKNOWN)));
  });

  describe(encryptionScopeKey.name, () => {
    const scope = (props: Record<string, unknown>) =>
      resourceRecord("azure-native:storage:EncryptionScope", "stpaydevweu-pmk", {
        accountName: "stpaydevweu",
        resourceGroupName: "rg-pay-dev-weu-data",
        encryptionScopeName: "pmk",
        ...props,
      });
    const cmk = {
      source: "Microsoft.KeyVault",
      keyVaultProperties: { keyUri: "https://kv-pay-dev-weu.vault.azure.net/keys/cmk-storage" },
      requireInfrastructureEncryption: true,
    };
    it("passes a scope under a Key Vault key with infrastructure encryption", () =>
      expectPass(encryptionScopeKey, scope(cmk)));
    it("fails a scope on Microsoft-managed keys (explicit or by default)", async () => {
      await expectFail(
        encryptionScopeKey,
        scope({ ...cmk, source: "Microsoft.Storage" }),
        /stpaydevweu-pmk .*encrypts with Microsoft-managed keys \(source "Microsoft.Storage"\)/,
      );
      await expectFail(encryptionScopeKey, scope({ ...cmk, source: undefined }), /source unset/);
    });
    it("fails a Key Vault scope naming no key, or without infrastructure encryption", async () => {
      await expectFail(encryptionScopeKey, scope({ ...cmk, keyVaultProperties: {} }), /names no key/);
      await expectFail(
        encryptionScopeKey,
        scope({ ...cmk, requireInfrastructureEncryption: undefined }),
        /no infrastructure encryption/,
      );
    });
    it("is not applicable to the account", () => expectNotApplicable(encryptionScopeKey, storageAccount()));
  });

  describe(sharedKey.name, () => {
    it("fails when absent (null = allowed)", () =>
      expectFail(
        sharedKey,
        mutate(account(), "allowSharedKeyAccess", undefined),
        /stpaydevweu .*set allowSharedKeyAccess to false/,
      ));
    it("fails when true", () =>
      expectFail(sharedKey, mutate(account(), "allowSharedKeyAccess", true), /allowSharedKeyAccess/));
    it("fails local users or SFTP (passwords and SSH keys, never Entra ID), even with Shared Key off", async () => {
      await expectFail(
        sharedKey,
        mutate(account(), "isLocalUserEnabled", true),
        /stpaydevweu .*enables local users, who authenticate with passwords or SSH keys/,
      );
      await expectFail(sharedKey, mutate(account(), "isSftpEnabled", true), /enables SFTP/);
      await expectPass(sharedKey, mutate(mutate(account(), "isLocalUserEnabled", false), "isSftpEnabled", false));
    });
  });

  describe(infrastructureEncryption.name, () => {
    it("cannot decide an encryption flag that is unknown during preview (advisory, not a pass)", () =>
      expectUndecided(
        infrastructureEncryption,
        mutate(account(), "encryption.requireInfrastructureEncryption", UNKNOWN),
      ));
    it("passes double encryption", () => expectPass(infrastructureEncryption, account()));
    it("fails without double encryption", () =>
      expectFail(
        infrastructureEncryption,
        mutate(account(), "encryption.requireInfrastructureEncryption", undefined),
        /stpaydevweu .*set encryption\.requireInfrastructureEncryption to true/,
      ));
  });

  describe(customerManagedKey.name, () => {
    it("passes a key URI that is unknown during preview", () =>
      expectPass(customerManagedKey, mutate(account(), "encryption.keyVaultProperties.keyVaultUri", UNKNOWN)));
    it("fails platform-managed keys", () =>
      expectFail(
        customerManagedKey,
        mutate(account(), "encryption.keySource", "Microsoft.Storage"),
        /stpaydevweu .*platform-managed keys: set encryption\.keySource to "Microsoft\.Keyvault"/,
      ));
    it("fails when keySource is absent", () =>
      expectFail(customerManagedKey, mutate(account(), "encryption.keySource", undefined), /encryption\.keySource/));
    it("fails queue or table data under a Microsoft-managed service key on a CMK account, passes it under the account's", async () => {
      const withQueue = (keyType: string) => mutate(account(), "encryption.services.queue", { enabled: true, keyType });
      await expectPass(customerManagedKey, withQueue("Account"));
      await expectFail(
        customerManagedKey,
        withQueue("Service"),
        /stpaydevweu .*encrypts queue data with a Microsoft-managed service key \(encryption\.services\.queue\.keyType "Service"\): set it to "Account" at creation/,
      );
      await expectFail(
        customerManagedKey,
        mutate(account(), "encryption.services.table", { enabled: true }),
        /encrypts table data .*keyType unset\)/,
      );
    });
    it("fails a CMK account that does not list its queue and table services (they keep Microsoft's key)", async () => {
      await expectFail(
        customerManagedKey,
        mutate(account(), "encryption.services.table", undefined),
        /encrypts table data with a Microsoft-managed service key \(encryption\.services\.table\.keyType unset\)/,
      );
      const r = await evaluatePolicy(
        customerManagedKey,
        mutate(mutate(account(), "encryption.services.table", undefined), "encryption.services.queue", undefined),
      );
      assert.equal(r.messages.length, 2);
    });
    it("cannot decide while a service's key type is unknown", () =>
      expectUndecided(customerManagedKey, mutate(account(), "encryption.services.queue.keyType", UNKNOWN)));
    it("fails a CMK without a key name", () =>
      expectFail(
        customerManagedKey,
        mutate(account(), "encryption.keyVaultProperties.keyName", undefined),
        /stpaydevweu .*names no key: set encryption\.keyVaultProperties\.keyName/,
      ));
    it("is not applicable to accounts outside pciScopes", () =>
      expectNotApplicable(
        customerManagedKey,
        mutate(mutate(account(), "tags.pci-scope", "out-of-scope"), "encryption.keySource", "Microsoft.Storage"),
      ));
    it("treats an untagged account as in scope", () =>
      expectFail(
        customerManagedKey,
        mutate(mutate(account(), "tags", undefined), "encryption.keySource", "Microsoft.Storage"),
        /platform-managed keys/,
      ));
    it("covers connected accounts by default, as every other customer-managed-key rule (lib/scope.ts)", () =>
      expectFail(
        customerManagedKey,
        mutate(mutate(account(), "tags.pci-scope", "connected"), "encryption.keySource", "Microsoft.Storage"),
        /platform-managed keys/,
      ));
    it("honours inScopeTagValues", () =>
      expectNotApplicable(
        customerManagedKey,
        mutate(mutate(account(), "tags.pci-scope", "connected"), "encryption.keySource", "Microsoft.Storage"),
        { inScopeTagValues: ["cde"] },
      ));
    it("fails closed on a tag that is no scope value ('tbd', 'CDE ' with a space)", async () => {
      for (const tag of ["tbd", "CDE "])
        await expectFail(
          customerManagedKey,
          mutate(mutate(account(), "tags.pci-scope", tag), "encryption.keySource", "Microsoft.Storage"),
          /platform-managed keys/,
        );
    });
  });

  describe(crossTenantReplication.name, () => {
    it("passes when absent (false by default)", () =>
      expectPass(crossTenantReplication, mutate(account(), "allowCrossTenantReplication", undefined)));
    it("fails when enabled", () =>
      expectFail(
        crossTenantReplication,
        mutate(account(), "allowCrossTenantReplication", true),
        /stpaydevweu .*set allowCrossTenantReplication to false/,
      ));
  });

  describe(storageSku.name, () => {
    it("fails a locally redundant SKU", () =>
      expectFail(
        storageSku,
        mutate(account(), "sku.name", "Standard_LRS"),
        /stpaydevweu .*SKU 'Standard_LRS': set sku\.name to one of Standard_ZRS/,
      ));
    it("honours allowedSkus", () =>
      expectPass(storageSku, mutate(account(), "sku.name", "Standard_LRS"), {
        allowedSkus: ["Standard_LRS", "Standard_ZRS"],
      }));
  });

  describe(containerPublicAccess.name, () => {
    it("passes the private container", () => expectPass(containerPublicAccess, blobContainer()));
    it("passes when absent (None by default)", () =>
      expectPass(containerPublicAccess, mutate(blobContainer(), "publicAccess", undefined)));
    it("fails a public container", () =>
      expectFail(
        containerPublicAccess,
        mutate(blobContainer(), "publicAccess", "Container"),
        /landing .*anonymous 'Container' access: set publicAccess to "None"/,
      ));
    it("is not applicable to accounts", () => expectNotApplicable(containerPublicAccess, account()));
  });

  describe(blobSoftDeleteCoverage.name, () => {
    it("passes an account whose blob service properties name it", () =>
      expectPass(blobSoftDeleteCoverage, [storageAccount(), blobService()]));
    it("fails an account that declares none (soft delete stays off)", () =>
      expectFail(
        blobSoftDeleteCoverage,
        [storageAccount(), mutate(blobService(), "accountName", "stother")],
        /stpaydevweu .*declares no blob service properties, so soft delete stays off/,
      ));
    it("is not applicable without storage accounts, nor to a FileStorage account (it has no blob service)", async () => {
      await expectNotApplicable(blobSoftDeleteCoverage, [vault()]);
      await expectNotApplicable(blobSoftDeleteCoverage, [mutate(storageAccount(), "kind", "FileStorage")]);
    });
  });

  describe(blobSoftDelete.name, () => {
    it("passes the compliant blob service", () => expectPass(blobSoftDelete, blobService()));
    it("fails without blob soft delete", () =>
      expectFail(
        blobSoftDelete,
        mutate(blobService(), "deleteRetentionPolicy", undefined),
        /stpaydevweu-blob .*has soft delete off: set deleteRetentionPolicy to \{ enabled: true, days: 7 \}/,
      ));
    it("fails a short container retention", () =>
      expectFail(
        blobSoftDelete,
        mutate(blobService(), "containerDeleteRetentionPolicy.days", 3),
        /stpaydevweu-blob .*keeps containers only 3 days: set containerDeleteRetentionPolicy/,
      ));
    it("fails permanent delete of soft-deleted versions", () =>
      expectFail(
        blobSoftDelete,
        mutate(blobService(), "deleteRetentionPolicy.allowPermanentDelete", true),
        /stpaydevweu-blob .*set deleteRetentionPolicy\.allowPermanentDelete to false/,
      ));
    it("honours minRetentionDays", () =>
      expectFail(blobSoftDelete, mutate(blobService(), "deleteRetentionPolicy.days", 14), /keeps blobs only 14 days/, {
        minRetentionDays: 30,
      }));
    it("is not applicable to containers", () => expectNotApplicable(blobSoftDelete, blobContainer()));
  });
  describe(dataLakeCopyScope.name, () => {
    it("passes a lake limited to private links or to the tenant", async () => {
      await expectPass(dataLakeCopyScope, storageAccount());
      await expectPass(dataLakeCopyScope, mutate(storageAccount(), "allowedCopyScope", "AAD"));
    });
    it("fails a lake that copies with any account (unset or All)", async () => {
      await expectFail(
        dataLakeCopyScope,
        mutate(storageAccount(), "allowedCopyScope", undefined),
        /stpaydevweu .*is a data lake that takes copies from any account \(allowedCopyScope unset\): set allowedCopyScope to "PrivateLink" or "AAD"/,
      );
      await expectFail(
        dataLakeCopyScope,
        mutate(storageAccount(), "allowedCopyScope", "All"),
        /allowedCopyScope "All"/,
      );
    });
    it("cannot decide while the scope is unknown", () =>
      expectUndecided(dataLakeCopyScope, mutate(storageAccount(), "allowedCopyScope", UNKNOWN)));
    it("is not applicable to an account without a hierarchical namespace", () =>
      expectNotApplicable(dataLakeCopyScope, mutate(storageAccount(), "isHnsEnabled", false)));
  });

  describe(dataLakeCustomerManagedKey.name, () => {
    const lake = () => mutate(storageAccount(), "tags.pci-scope", "connected");
    it("passes a lake with a CMK through a user-assigned identity, whatever its PCI scope", () =>
      expectPass(dataLakeCustomerManagedKey, lake()));
    it("fails a connected-scope lake on platform-managed keys (the general CMK rule skips it)", () =>
      expectFail(
        dataLakeCustomerManagedKey,
        mutate(lake(), "encryption.keySource", "Microsoft.Storage"),
        /stpaydevweu .*data lake with platform-managed keys: set encryption\.keySource to "Microsoft\.Keyvault"/,
      ));
    it("fails a lake without a key name", () =>
      expectFail(
        dataLakeCustomerManagedKey,
        mutate(lake(), "encryption.keyVaultProperties.keyName", undefined),
        /names no key/,
      ));
    it("fails a lake whose key identity is not user-assigned", () =>
      expectFail(
        dataLakeCustomerManagedKey,
        mutate(lake(), "encryption.encryptionIdentity", undefined),
        /set encryption\.encryptionIdentity\.encryptionUserAssignedIdentity/,
      ));
    it("is not applicable to accounts without a hierarchical namespace", () =>
      expectNotApplicable(
        dataLakeCustomerManagedKey,
        mutate(mutate(lake(), "isHnsEnabled", false), "encryption.keySource", "Microsoft.Storage"),
      ));
  });
});
