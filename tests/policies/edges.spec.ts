/**
 * The edges of the pack's rules an auditor relies on: one past each limit (not only far past it), and the unset value
 * that means the insecure default (not only the explicit bad value). Each case here was a mutant of the rule that the
 * rule's own spec let through (mutation audit, 2026-12).
 */
import { vaultRecoverability, keyRotation, secretExpiry } from "../../policies/rules/keyvault";
import { storageNetwork, customerManagedKey, containerPublicAccess } from "../../policies/rules/storage";
import {
  sqlServerCmk,
  sqlEncryptionProtectorCmk,
  sqlAuditingEnabled,
  sqlDatabaseBackupRedundancy,
} from "../../policies/rules/sql";
import { workspaceNetwork, diagnosticDestination } from "../../policies/rules/monitor";
import { appGatewayTls } from "../../policies/rules/network";
import { allowedLocations } from "../../policies/rules/general";
import { eventHubTls } from "../../policies/rules/streaming";
import { vault, key, secret } from "./fixtures/keyvault";
import { storageAccount, blobContainer, STORAGE_ID } from "./fixtures/storage";
import { sqlServer, sqlEncryptionProtector, sqlAuditing, sqlDatabase } from "./fixtures/sql";
import { workspace, diagnosticSetting } from "./fixtures/monitor";
import { appGateway } from "./fixtures/network";
import { eventHubNamespace } from "./fixtures/streaming";
import { TAGS } from "./fixtures/protection";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { expectFail, expectPass, mutate } from "./helpers";

describe("policy edges: one past each limit, and unset as the insecure default", () => {
  it("soft-delete retention one day short of the minimum fails", async () => {
    await expectFail(vaultRecoverability, mutate(vault(), "properties.softDeleteRetentionInDays", 89), /89 days/);
    await expectPass(vaultRecoverability, mutate(vault(), "properties.softDeleteRetentionInDays", 90));
  });
  it("a cryptoperiod one day over maxExpiryTime fails", async () => {
    await expectFail(
      keyRotation,
      mutate(key(), "properties.rotationPolicy.attributes.expiryTime", "P366D"),
      /cryptoperiod of P366D/,
    );
  });
  it("a secret expiring 400 days ahead fails (max 365)", async () => {
    const in400 = Math.floor(Date.now() / 1000) + 400 * 86400;
    await expectFail(
      secretExpiry,
      mutate(secret(), "properties.attributes.expires", in400),
      /expires in 399|expires in 400/,
    );
  });
  it("a /23 IP rule behind a deny-by-default firewall fails, a /24 passes", async () => {
    const acct = (r: string) =>
      mutate(mutate(storageAccount(), "publicNetworkAccess", "Enabled"), "networkRuleSet", {
        defaultAction: "Deny",
        bypass: "None",
        ipRules: [{ iPAddressOrRange: r, action: "Allow" }],
      });
    await expectFail(storageNetwork, acct("203.0.112.0/23"), /broad range 203\.0\.112\.0\/23/);
    await expectPass(storageNetwork, acct("203.0.113.0/24"));
  });
  it("a CMK account without keyVaultUri fails", async () => {
    await expectFail(
      customerManagedKey,
      mutate(storageAccount(), "encryption.keyVaultProperties.keyVaultUri", undefined),
      /names no key/,
    );
  });
  it("a container with publicAccess Blob fails", async () => {
    await expectFail(containerPublicAccess, mutate(blobContainer(), "publicAccess", "Blob"), /anonymous 'Blob' access/);
  });
  it("a CMK server with identity.type None fails", async () => {
    await expectFail(sqlServerCmk, mutate(sqlServer(), "identity", { type: "None" }), /no managed identity/);
  });
  it("SystemAssigned,UserAssigned without primaryUserAssignedIdentityId fails", async () => {
    let s = mutate(sqlServer(), "identity.type", "SystemAssigned,UserAssigned");
    s = mutate(s, "primaryUserAssignedIdentityId", undefined);
    await expectFail(sqlServerCmk, s, /no primaryUserAssignedIdentityId/);
  });
  it("an encryption protector without serverKeyType fails", async () => {
    await expectFail(
      sqlEncryptionProtectorCmk,
      mutate(sqlEncryptionProtector(), "serverKeyType", undefined),
      /serverKeyType unset/,
    );
  });
  it("an auditing policy with neither storageEndpoint nor isAzureMonitorTargetEnabled fails", async () => {
    await expectFail(
      sqlAuditingEnabled,
      mutate(sqlAuditing(), "isAzureMonitorTargetEnabled", undefined),
      /no audit destination/,
    );
  });
  it("GeoZone backups in italynorth (no EU pair) fail", async () => {
    let db = mutate(sqlDatabase(), "location", "italynorth");
    db = mutate(db, "requestedBackupStorageRedundancy", "GeoZone");
    await expectFail(sqlDatabaseBackupRedundancy, db, /'italynorth'.*outside the allowed EU pairs/);
  });
  it("a workspace with publicNetworkAccessForIngestion left unset fails", async () => {
    await expectFail(
      workspaceNetwork,
      mutate(workspace(), "publicNetworkAccessForIngestion", undefined),
      /ingestion from public networks/,
    );
  });
  it("a diagnostic setting to a storage account only (no workspaceId) fails", async () => {
    let d = diagnosticSetting("diag-x", undefined, `${STORAGE_ID}/blobServices/default`);
    d = mutate(mutate(d, "workspaceId", undefined), "storageAccountId", "/subscriptions/x/st");
    await expectFail(diagnosticDestination, d, /no Log Analytics workspace/);
  });
  it("the 2017 predefined TLS policy fails", async () => {
    await expectFail(
      appGatewayTls,
      mutate(appGateway(), "sslPolicy.policyName", "AppGwSslPolicy20170401"),
      /AppGwSslPolicy20170401/,
    );
  });
  it("an ECDHE-CBC suite in a custom policy fails", async () => {
    const a = mutate(appGateway(), "sslPolicy", {
      policyType: "CustomV2",
      minProtocolVersion: "TLSv1_2",
      cipherSuites: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"],
    });
    await expectFail(appGatewayTls, a, /weak cipher suites TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256/);
  });
  it("uksouth and switzerlandnorth are outside the EU list", async () => {
    for (const location of ["uksouth", "switzerlandnorth"]) {
      await expectFail(
        allowedLocations,
        resourceRecord("azure-native:keyvault:Vault", "kv", { location, tags: TAGS }),
        new RegExp(location),
      );
    }
  });
  it("an Event Hubs namespace at TLS 1.1 fails", async () => {
    await expectFail(eventHubTls, mutate(eventHubNamespace(), "minimumTlsVersion", "1.1"), /'1\.1'/);
  });
});
