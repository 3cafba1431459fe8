import { strict as assert } from "node:assert";
import {
  sqlAdOnlyAuthentication,
  sqlAuditingActionGroups,
  sqlAuditingEnabled,
  sqlAuditingRetention,
  sqlDatabaseBackupRedundancy,
  sqlDatabaseLtrPresent,
  sqlDatabaseZoneRedundancy,
  sqlDataMasking,
  sqlEncryptionProtectorCmk,
  sqlFirewallRule,
  sqlLongTermRetention,
  sqlPolicies,
  sqlSecurityAlertPolicy,
  sqlServerAuditingPresent,
  sqlServerCmk,
  sqlServerDefenderPresent,
  sqlServerEntraOnly,
  sqlServerMinimalTls,
  sqlServerNoSqlCredentials,
  sqlServerOutbound,
  sqlServerPublicNetwork,
  sqlShortTermRetention,
  sqlTransparentDataEncryption,
  sqlVulnerabilityAssessment,
  sqlExpressVulnerabilityAssessment,
} from "../../policies/rules/sql";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/sql";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
  failCases,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

describe("policies/sql", () => {
  it("exports uniquely named policies", () => {
    const names = sqlPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => n.startsWith("azure-native-sql-")));
  });

  describe(sqlServerMinimalTls.name, () => {
    const server = f.sqlServer();
    it("passes the compliant server", () => expectPass(sqlServerMinimalTls, server));
    it("passes TLS 1.3", () => expectPass(sqlServerMinimalTls, mutate(server, "minimalTlsVersion", "1.3")));
    failCases(sqlServerMinimalTls, server, [
      [
        "minimalTlsVersion is unset",
        "minimalTlsVersion",
        undefined,
        /^sql-pay-dev-weu .* has minimalTlsVersion unset: set minimalTlsVersion to "1\.2"/,
      ],
      [
        "minimalTlsVersion is 1.1",
        "minimalTlsVersion",
        "1.1",
        /sql-pay-dev-weu .*"1\.1": set minimalTlsVersion to "1\.2"/,
      ],
      ["minimalTlsVersion is None", "minimalTlsVersion", "None", /sql-pay-dev-weu .*"None": set minimalTlsVersion/],
    ]);
    it("honours allowedVersions", () =>
      expectFail(sqlServerMinimalTls, server, /set minimalTlsVersion to "1\.3"/, { allowedVersions: ["1.3"] }));
    it("is not applicable to other types", () => expectNotApplicable(sqlServerMinimalTls, otherResource()));
  });

  describe(sqlServerPublicNetwork.name, () => {
    const server = f.sqlServer();
    it("passes the compliant server", () => expectPass(sqlServerPublicNetwork, server));
    failCases(sqlServerPublicNetwork, server, [
      [
        "publicNetworkAccess is unset (defaults to Enabled)",
        "publicNetworkAccess",
        undefined,
        /sql-pay-dev-weu \(azure-native:sql:Server\) allows public network access .*set publicNetworkAccess to "Disabled"/,
      ],
      [
        "publicNetworkAccess is Enabled",
        "publicNetworkAccess",
        "Enabled",
        /sql-pay-dev-weu .*set publicNetworkAccess to "Disabled" and reach it through a private endpoint/,
      ],
      [
        "publicNetworkAccess is SecuredByPerimeter",
        "publicNetworkAccess",
        "SecuredByPerimeter",
        /sql-pay-dev-weu .*"SecuredByPerimeter"/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlServerPublicNetwork, otherResource()));
  });

  describe(sqlServerEntraOnly.name, () => {
    const server = f.sqlServer();
    it("passes the compliant server", () => expectPass(sqlServerEntraOnly, server));
    failCases(sqlServerEntraOnly, server, [
      [
        "administrators is unset",
        "administrators",
        undefined,
        /sql-pay-dev-weu .*has no Entra administrator: set administrators/,
      ],
      [
        "azureADOnlyAuthentication is false",
        "administrators.azureADOnlyAuthentication",
        false,
        /sql-pay-dev-weu .*set administrators\.azureADOnlyAuthentication to true/,
      ],
      [
        "azureADOnlyAuthentication is unset",
        "administrators.azureADOnlyAuthentication",
        undefined,
        /sql-pay-dev-weu .*azureADOnlyAuthentication unset\): set administrators\.azureADOnlyAuthentication to true/,
      ],
      [
        "administratorType is unset",
        "administrators.administratorType",
        undefined,
        /sql-pay-dev-weu .*set administrators\.administratorType to "ActiveDirectory"/,
      ],
    ]);
    it("cannot decide while Entra-only authentication or the administrator type is unknown (a preview never passes it)", async () => {
      await expectUndecided(sqlServerEntraOnly, mutate(server, "administrators.azureADOnlyAuthentication", UNKNOWN));
      await expectUndecided(sqlServerEntraOnly, mutate(server, "administrators.administratorType", UNKNOWN));
    });
    it("honours allowedTenantIds", async () => {
      await expectPass(sqlServerEntraOnly, server, { allowedTenantIds: [f.TENANT_ID.toUpperCase()] });
      await expectFail(sqlServerEntraOnly, server, /set administrators\.tenantId to one of 99999999/, {
        allowedTenantIds: ["99999999-0000-0000-0000-000000000000"],
      });
    });
    it("accepts an administrator tenant that is unknown during preview", () =>
      expectPass(sqlServerEntraOnly, mutate(server, "administrators.tenantId", UNKNOWN), { allowedTenantIds: ["x"] }));
    it("is not applicable to other types", () => expectNotApplicable(sqlServerEntraOnly, otherResource()));
  });

  describe(sqlServerNoSqlCredentials.name, () => {
    const server = f.sqlServer();
    it("passes the compliant server", () => expectPass(sqlServerNoSqlCredentials, server));
    failCases(sqlServerNoSqlCredentials, server, [
      [
        "administratorLogin is set",
        "administratorLogin",
        "sqladmin",
        /sql-pay-dev-weu .*\(administratorLogin\): remove administratorLogin and use Entra-only/,
      ],
      [
        "administratorLoginPassword is unknown (a generated password)",
        "administratorLoginPassword",
        UNKNOWN,
        /sql-pay-dev-weu .*remove administratorLoginPassword/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlServerNoSqlCredentials, otherResource()));
  });

  describe(sqlServerOutbound.name, () => {
    const server = f.sqlServer();
    it("is advisory by default", () => assert.equal(sqlServerOutbound.enforcementLevel, "advisory"));
    it("passes the compliant server", () => expectPass(sqlServerOutbound, server));
    failCases(sqlServerOutbound, server, [
      [
        "restrictOutboundNetworkAccess is unset",
        "restrictOutboundNetworkAccess",
        undefined,
        /sql-pay-dev-weu .*set restrictOutboundNetworkAccess to "Enabled"/,
      ],
    ]);
    it("reports at advisory level", async () => {
      const v = await expectFail(
        sqlServerOutbound,
        mutate(server, "restrictOutboundNetworkAccess", "Disabled"),
        /"Disabled"/,
      );
      assert.equal(v.enforcementLevel, "advisory");
    });
    it("is not applicable to other types", () => expectNotApplicable(sqlServerOutbound, otherResource()));
  });

  describe(sqlServerCmk.name, () => {
    const server = f.sqlServer();
    it("passes the compliant server", () => expectPass(sqlServerCmk, server));
    it("passes a key URI that is unknown during preview", () =>
      expectPass(sqlServerCmk, mutate(server, "keyId", UNKNOWN)));
    it("reads the identity type as Azure does, whatever its case", async () => {
      await expectFail(
        sqlServerCmk,
        mutate(server, "identity.type", "none"),
        /has no managed identity to reach its key/,
      );
      await expectFail(
        sqlServerCmk,
        mutate(mutate(server, "identity.type", "userassigned"), "primaryUserAssignedIdentityId", undefined),
        /primaryUserAssignedIdentityId/,
      );
    });
    failCases(sqlServerCmk, server, [
      ["keyId is unset", "keyId", undefined, /sql-pay-dev-weu .*service-managed TDE key: set keyId/],
      [
        "identity is unset",
        "identity",
        undefined,
        /sql-pay-dev-weu .*no managed identity .*set identity\.type to "UserAssigned"/,
      ],
      [
        "primaryUserAssignedIdentityId is unset",
        "primaryUserAssignedIdentityId",
        undefined,
        /sql-pay-dev-weu .*set primaryUserAssignedIdentityId/,
      ],
    ]);
    it("is not applicable to servers tagged out of PCI scope", () =>
      expectNotApplicable(sqlServerCmk, mutate(mutate(server, "keyId", undefined), "tags.pci-scope", "out-of-scope")));
    it("honours inScopeTagValues", () =>
      expectNotApplicable(sqlServerCmk, mutate(server, "keyId", undefined), { inScopeTagValues: ["connected"] }));
    it("is not applicable to other types", () => expectNotApplicable(sqlServerCmk, otherResource()));
  });

  describe(sqlEncryptionProtectorCmk.name, () => {
    const protector = f.sqlEncryptionProtector();
    it("passes the compliant protector", () => expectPass(sqlEncryptionProtectorCmk, protector));
    failCases(sqlEncryptionProtectorCmk, protector, [
      [
        "serverKeyType is ServiceManaged",
        "serverKeyType",
        "ServiceManaged",
        /sql-pay-dev-weu-protector .*set serverKeyType to "AzureKeyVault"/,
      ],
      ["serverKeyName is unset", "serverKeyName", undefined, /sql-pay-dev-weu-protector .*set serverKeyName/],
      [
        "autoRotationEnabled is false (the server would stay on the rotated-out key version)",
        "autoRotationEnabled",
        false,
        /sql-pay-dev-weu-protector .*does not follow the key's rotation \(autoRotationEnabled false\): set autoRotationEnabled to true/,
      ],
      [
        "autoRotationEnabled is unset (Azure's default is off)",
        "autoRotationEnabled",
        undefined,
        /autoRotationEnabled unset/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlEncryptionProtectorCmk, f.sqlServer()));
  });

  describe(sqlAdOnlyAuthentication.name, () => {
    const adOnly = f.sqlAdOnly();
    it("passes the compliant resource", () => expectPass(sqlAdOnlyAuthentication, adOnly));
    failCases(sqlAdOnlyAuthentication, adOnly, [
      [
        "azureADOnlyAuthentication is false",
        "azureADOnlyAuthentication",
        false,
        /sql-pay-dev-weu-entra-only .*set azureADOnlyAuthentication to true/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlAdOnlyAuthentication, f.sqlServer()));
  });

  describe(sqlTransparentDataEncryption.name, () => {
    const tde = f.sqlTde();
    it("passes the compliant resource", () => expectPass(sqlTransparentDataEncryption, tde));
    failCases(sqlTransparentDataEncryption, tde, [
      ["state is Disabled", "state", "Disabled", /sqldb-pay-dev-weu-tde .*"Disabled": set state to "Enabled"/],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlTransparentDataEncryption, f.sqlServer()));
  });

  describe(sqlDataMasking.name, () => {
    const masking = f.sqlMasking();
    it("passes the compliant policy", () => expectPass(sqlDataMasking, masking));
    failCases(sqlDataMasking, masking, [
      [
        "dataMaskingState is Disabled",
        "dataMaskingState",
        "Disabled",
        /sqldb-pay-dev-weu-masking .*dataMaskingState "Disabled": set dataMaskingState to "Enabled"/,
      ],
      ["dataMaskingState is unset", "dataMaskingState", undefined, /dataMaskingState unset/],
    ]);
    it("cannot decide while the state is unknown during preview", () =>
      expectUndecided(sqlDataMasking, mutate(masking, "dataMaskingState", UNKNOWN)));
    it("is not applicable to other types", () => expectNotApplicable(sqlDataMasking, f.sqlServer()));
  });

  describe(sqlAuditingEnabled.name, () => {
    const audit = f.sqlAuditing();
    it("passes the compliant extended policy", () => expectPass(sqlAuditingEnabled, audit));
    it("cannot decide while the Azure Monitor destination is unknown and there is no storage one", () =>
      expectUndecided(sqlAuditingEnabled, mutate(audit, "isAzureMonitorTargetEnabled", UNKNOWN)));
    it("passes the compliant classic policy", () =>
      expectPass(sqlAuditingEnabled, f.sqlAuditing("dev", "azure-native:sql:ServerBlobAuditingPolicy")));
    it("passes a storage-only destination", () =>
      expectPass(
        sqlAuditingEnabled,
        mutate(
          mutate(audit, "isAzureMonitorTargetEnabled", undefined),
          "storageEndpoint",
          "https://staudit.blob.core.windows.net",
        ),
      ));
    failCases(sqlAuditingEnabled, audit, [
      ["state is Disabled", "state", "Disabled", /sql-pay-dev-weu-audit .*set state to "Enabled"/],
      [
        "there is no destination",
        "isAzureMonitorTargetEnabled",
        false,
        /sql-pay-dev-weu-audit .*no audit destination: set isAzureMonitorTargetEnabled to true/,
      ],
      [
        "Microsoft support operations are not audited",
        "isDevopsAuditEnabled",
        false,
        /sql-pay-dev-weu-audit .*does not audit Microsoft support operations \(isDevopsAuditEnabled false\): set isDevopsAuditEnabled to true/,
      ],
      ["isDevopsAuditEnabled is unset", "isDevopsAuditEnabled", undefined, /isDevopsAuditEnabled unset/],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlAuditingEnabled, f.sqlServer()));
  });

  describe(sqlAuditingRetention.name, () => {
    const toStorage = (days: number | undefined, stack = "dev") =>
      mutate(
        mutate(f.sqlAuditing(stack), "storageEndpoint", "https://stpayaudit.blob.core.windows.net"),
        "retentionDays",
        days,
      );
    it("passes 90 days in dev", () => expectPass(sqlAuditingRetention, toStorage(90)));
    it("passes 365 days in prod", () => expectPass(sqlAuditingRetention, toStorage(365, "prod")));
    it("passes indefinite retention (0 / unset) without a maximum", () =>
      expectPass(sqlAuditingRetention, toStorage(undefined)));
    it("fails 30 days in dev", () =>
      expectFail(
        sqlAuditingRetention,
        toStorage(30),
        /sql-pay-dev-weu-audit .*for 30 days: set retentionDays to at least 90/,
      ));
    it("fails 90 days in prod", () =>
      expectFail(
        sqlAuditingRetention,
        toStorage(90, "prod"),
        /sql-pay-prod-weu-audit .*set retentionDays to at least 365/,
      ));
    it("honours prodStacks and minRetentionDays", async () => {
      await expectPass(sqlAuditingRetention, toStorage(90, "prod"), { prodStacks: ["production"] });
      await expectFail(sqlAuditingRetention, toStorage(90), /at least 180/, { minRetentionDays: 180 });
    });
    it("honours maxRetentionDays", () =>
      expectFail(sqlAuditingRetention, toStorage(undefined), /indefinitely: set retentionDays between 90 and 400/, {
        maxRetentionDays: 400,
      }));
    it("is not applicable without a storage destination", () =>
      expectNotApplicable(sqlAuditingRetention, f.sqlAuditing()));
    it("is not applicable to other types", () => expectNotApplicable(sqlAuditingRetention, f.sqlServer()));
  });

  describe(sqlAuditingActionGroups.name, () => {
    const audit = f.sqlAuditing();
    it("passes the compliant policy", () => expectPass(sqlAuditingActionGroups, audit));
    it("cannot decide during a first preview when auditActionsAndGroups is unknown (advisory, not a pass)", () =>
      expectUndecided(sqlAuditingActionGroups, mutate(audit, "auditActionsAndGroups", UNKNOWN)));
    failCases(sqlAuditingActionGroups, audit, [
      [
        "auditActionsAndGroups is unset",
        "auditActionsAndGroups",
        undefined,
        /sql-pay-dev-weu-audit .*does not audit SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, FAILED_DATABASE_AUTHENTICATION_GROUP, BATCH_COMPLETED_GROUP: add them to auditActionsAndGroups/,
      ],
      [
        "failed logins are not audited",
        "auditActionsAndGroups.1",
        undefined,
        /does not audit FAILED_DATABASE_AUTHENTICATION_GROUP: add them to auditActionsAndGroups/,
      ],
    ]);
    it("honours requiredActionGroups", () =>
      expectFail(sqlAuditingActionGroups, audit, /does not audit DATABASE_PERMISSION_CHANGE_GROUP/, {
        requiredActionGroups: ["DATABASE_PERMISSION_CHANGE_GROUP"],
      }));
    it("is not applicable to other types", () => expectNotApplicable(sqlAuditingActionGroups, f.sqlServer()));
  });

  describe(sqlSecurityAlertPolicy.name, () => {
    const alerts = f.sqlSecurityAlert();
    it("passes the compliant policy", () => expectPass(sqlSecurityAlertPolicy, alerts));
    failCases(sqlSecurityAlertPolicy, alerts, [
      ["state is Disabled", "state", "Disabled", /sql-pay-dev-weu-defender .*set state to "Enabled"/],
      [
        "an alert is disabled",
        "disabledAlerts",
        ["Sql_Injection"],
        /sql-pay-dev-weu-defender .*disables alerts Sql_Injection: set disabledAlerts to \[\]/,
      ],
      [
        "nobody receives alerts",
        "emailAddresses",
        [],
        /sql-pay-dev-weu-defender .*sends alerts to no one: set emailAddresses/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlSecurityAlertPolicy, f.sqlServer()));
  });

  describe(sqlVulnerabilityAssessment.name, () => {
    const va = f.sqlVulnerabilityAssessment();
    it("passes the compliant assessment", () => expectPass(sqlVulnerabilityAssessment, va));
    failCases(sqlVulnerabilityAssessment, va, [
      [
        "recurring scans are off",
        "recurringScans.isEnabled",
        false,
        /sql-pay-dev-weu-va .*set recurringScans\.isEnabled to true/,
      ],
      [
        "nobody receives results",
        "recurringScans.emails",
        undefined,
        /sql-pay-dev-weu-va .*set recurringScans\.emails/,
      ],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlVulnerabilityAssessment, f.sqlServer()));
  });

  describe(sqlExpressVulnerabilityAssessment.name, () => {
    const va = f.sqlExpressVulnerabilityAssessment();
    it("passes the compliant setting", () => expectPass(sqlExpressVulnerabilityAssessment, va));
    failCases(sqlExpressVulnerabilityAssessment, va, [
      ["state is unset", "state", undefined, /sql-pay-dev-weu-va-express .*state unset: set state to "Enabled"/],
      ["state is Disabled", "state", "Disabled", /sql-pay-dev-weu-va-express .*"Disabled": set state to "Enabled"/],
    ]);
    it("is not applicable to other types", () => expectNotApplicable(sqlExpressVulnerabilityAssessment, f.sqlServer()));
    it("cannot decide while the state is unknown", () =>
      expectUndecided(sqlExpressVulnerabilityAssessment, mutate(va, "state", UNKNOWN)));
  });

  describe(sqlFirewallRule.name, () => {
    const rule = f.sqlFirewallRule();
    const allowed = { allowedCidrs: [f.FIREWALL_CIDR] };
    it("passes a rule inside allowedCidrs", () => expectPass(sqlFirewallRule, rule, allowed));
    it("fails any IPv6 rule, even with allowedCidrs (they are IPv4 ranges)", () =>
      expectFail(
        sqlFirewallRule,
        resourceRecord("azure-native:sql:IPv6FirewallRule", "sql-pay-dev-weu-fw6", {
          serverName: "sql-pay-dev-weu",
          resourceGroupName: "rg-pay-dev-weu",
          startIPv6Address: "::",
          endIPv6Address: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        }),
        /sql-pay-dev-weu-fw6 .*opens the public endpoint to IPv6 addresses \(:: to ffff/,
        allowed,
      ));
    it("fails any rule by default", () =>
      expectFail(
        sqlFirewallRule,
        rule,
        /sql-pay-dev-weu-fw-breakglass .*opens the public endpoint to 203\.0\.113\.10–203\.0\.113\.20.*delete the firewall rule/,
      ));
    failCases(
      sqlFirewallRule,
      rule,
      [
        [
          "startIpAddress leaves allowedCidrs",
          "startIpAddress",
          "0.0.0.0",
          /opens the public endpoint to 0\.0\.0\.0–203\.0\.113\.20/,
        ],
        [
          "endIpAddress leaves allowedCidrs",
          "endIpAddress",
          "203.0.114.1",
          /opens the public endpoint to 203\.0\.113\.10–203\.0\.114\.1/,
        ],
        ["endIpAddress is unset", "endIpAddress", undefined, /has no complete address range/],
      ],
      allowed,
    );
    it("names the Allow-Azure-services rule", () =>
      expectFail(
        sqlFirewallRule,
        mutate(mutate(rule, "startIpAddress", "0.0.0.0"), "endIpAddress", "0.0.0.0"),
        /allows access from all Azure services \(0\.0\.0\.0–0\.0\.0\.0\)/,
        allowed,
      ));
    it("names the whole-internet rule", () =>
      expectFail(
        sqlFirewallRule,
        mutate(mutate(rule, "startIpAddress", "0.0.0.0"), "endIpAddress", "255.255.255.255"),
        /whole internet/,
      ));
    it("is not applicable to other types", () => expectNotApplicable(sqlFirewallRule, f.sqlServer()));
  });

  describe(sqlDatabaseBackupRedundancy.name, () => {
    const dev = f.sqlDatabase("dev");
    const prod = f.sqlDatabase("prod");
    it("passes the dev database (Local)", () => expectPass(sqlDatabaseBackupRedundancy, dev));
    it("passes the prod database (Geo, West Europe)", () => expectPass(sqlDatabaseBackupRedundancy, prod));
    it("cannot decide during a first preview when requestedBackupStorageRedundancy is unknown (advisory, not a pass)", () =>
      expectUndecided(sqlDatabaseBackupRedundancy, mutate(prod, "requestedBackupStorageRedundancy", UNKNOWN)));
    it("treats unset as the Geo default", () =>
      expectPass(sqlDatabaseBackupRedundancy, mutate(prod, "requestedBackupStorageRedundancy", undefined)));
    failCases(sqlDatabaseBackupRedundancy, prod, [
      [
        "prod uses Local backups",
        "requestedBackupStorageRedundancy",
        "Local",
        /sqldb-pay-prod-weu .*"Local" redundancy in a production stack: set requestedBackupStorageRedundancy to "Geo" or "GeoZone"/,
      ],
      [
        "prod geo backups leave the EU pairs",
        "location",
        "italynorth",
        /sqldb-pay-prod-weu .*'italynorth'.*outside the allowed EU pairs: set requestedBackupStorageRedundancy to "Zone" or "Local"/,
      ],
    ]);
    it("honours allowedRedundancy outside prod", () =>
      expectFail(
        sqlDatabaseBackupRedundancy,
        dev,
        /sqldb-pay-dev-weu .*"Local" redundancy: set requestedBackupStorageRedundancy to "Zone"/,
        {
          allowedRedundancy: ["Zone"],
        },
      ));
    it("honours prodStacks", () =>
      expectFail(sqlDatabaseBackupRedundancy, dev, /in a production stack/, { prodStacks: ["dev"] }));
    it("rejects an unknown redundancy value in the config", async () => {
      await assert.rejects(
        evaluatePolicy(sqlDatabaseBackupRedundancy, dev, { allowedRedundancy: ["RA-GRS"] }),
        /allowedRedundancy\[0\] must be one of/,
      );
    });
    it("is not applicable to other types", () => expectNotApplicable(sqlDatabaseBackupRedundancy, f.sqlServer()));
  });

  describe(sqlDatabaseZoneRedundancy.name, () => {
    const prod = f.sqlDatabase("prod");
    it("passes the prod database", () => expectPass(sqlDatabaseZoneRedundancy, prod));
    it("cannot decide while zoneRedundant is unknown", () =>
      expectUndecided(sqlDatabaseZoneRedundancy, mutate(prod, "zoneRedundant", UNKNOWN)));
    failCases(sqlDatabaseZoneRedundancy, prod, [
      [
        "zoneRedundant is unset in prod",
        "zoneRedundant",
        undefined,
        /sqldb-pay-prod-weu .*not zone-redundant \(zoneRedundant unset\): set zoneRedundant to true/,
      ],
    ]);
    it("is not applicable outside prod stacks", () =>
      expectNotApplicable(sqlDatabaseZoneRedundancy, f.sqlDatabase("dev")));
    it("honours prodStacks", () =>
      expectFail(sqlDatabaseZoneRedundancy, f.sqlDatabase("dev"), /sqldb-pay-dev-weu .*set zoneRedundant to true/, {
        prodStacks: ["dev"],
      }));
    it("is not applicable to pooled databases", () =>
      expectNotApplicable(
        sqlDatabaseZoneRedundancy,
        mutate(mutate(prod, "zoneRedundant", false), "elasticPoolId", UNKNOWN),
      ));
    it("is not applicable to other types", () => expectNotApplicable(sqlDatabaseZoneRedundancy, f.sqlServer("prod")));
  });

  describe(sqlShortTermRetention.name, () => {
    it("cannot decide during a first preview when retentionDays is unknown (advisory, not a pass)", () =>
      expectUndecided(sqlShortTermRetention, mutate(f.sqlShortTermRetention("prod"), "retentionDays", UNKNOWN)));
    it("passes 7 days in dev and 35 in prod", async () => {
      await expectPass(sqlShortTermRetention, f.sqlShortTermRetention("dev"));
      await expectPass(sqlShortTermRetention, f.sqlShortTermRetention("prod"));
    });
    failCases(sqlShortTermRetention, f.sqlShortTermRetention("prod"), [
      [
        "prod keeps 7 days",
        "retentionDays",
        7,
        /sqldb-pay-prod-weu-pitr .*for 7 days: set retentionDays to at least 14/,
      ],
      [
        "prod relies on the 7-day default",
        "retentionDays",
        undefined,
        /for 7 days \(the default\): set retentionDays to at least 14/,
      ],
    ]);
    it("honours minRetentionDays", () =>
      expectFail(sqlShortTermRetention, f.sqlShortTermRetention("dev"), /sqldb-pay-dev-weu-pitr .*at least 14/, {
        minRetentionDays: 14,
      }));
    it("is not applicable to other types", () => expectNotApplicable(sqlShortTermRetention, f.sqlDatabase()));
  });

  describe(sqlLongTermRetention.name, () => {
    const ltr = f.sqlLongTermRetention();
    it("passes the compliant policy", () => expectPass(sqlLongTermRetention, ltr));
    it("passes a single series", () =>
      expectPass(sqlLongTermRetention, mutate(mutate(ltr, "weeklyRetention", "PT0S"), "yearlyRetention", undefined)));
    it("fails when every series is off", () =>
      expectFail(
        sqlLongTermRetention,
        mutate(
          mutate(mutate(ltr, "weeklyRetention", "PT0S"), "monthlyRetention", undefined),
          "yearlyRetention",
          undefined,
        ),
        /sqldb-pay-prod-weu-ltr .*keeps no long-term backups: set weeklyRetention, monthlyRetention or yearlyRetention/,
      ));
    failCases(sqlLongTermRetention, ltr, [
      [
        "yearlyRetention exceeds the maximum",
        "yearlyRetention",
        "P20Y",
        /sqldb-pay-prod-weu-ltr .*yearlyRetention backups for P20Y: set yearlyRetention to at most 3653 days/,
      ],
      [
        "monthlyRetention is not a duration",
        "monthlyRetention",
        "12 months",
        /monthlyRetention "12 months", not an ISO 8601 duration/,
      ],
    ]);
    it("honours maxRetentionDays", () =>
      expectFail(sqlLongTermRetention, ltr, /yearlyRetention .* at most 730 days/, { maxRetentionDays: 730 }));
    it("is not applicable to other types", () => expectNotApplicable(sqlLongTermRetention, f.sqlDatabase()));
  });

  // -------------------------------------------------------------------------------------------------------------
  // Stack policies
  // -------------------------------------------------------------------------------------------------------------

  describe(sqlServerAuditingPresent.name, () => {
    it("is not applicable to a stack without Azure SQL servers (never passed on nothing)", () =>
      expectNotApplicable(sqlServerAuditingPresent, [otherResource()]));
    const server = f.sqlServer("prod");
    it("passes a server with an enabled auditing policy (matched by serverName)", () =>
      expectPass(sqlServerAuditingPresent, [server, f.sqlAuditing("prod")]));
    it("accepts the classic ServerBlobAuditingPolicy", () => {
      // The program declares none, so the mocks have no id for it: deployed, it is the server's auditingSettings.
      const classic = f.sqlAuditing("prod", "azure-native:sql:ServerBlobAuditingPolicy");
      const id = `${String(server.outputs.id)}/auditingSettings/default`;
      return expectPass(sqlServerAuditingPresent, [server, { ...classic, outputs: { ...classic.outputs, id } }]);
    });
    it("fails a server without auditing, reporting its URN", async () => {
      const v = await expectFail(
        sqlServerAuditingPresent,
        [server, f.sqlSecurityAlert("prod")],
        /^sql-pay-prod-weu \(azure-native:sql:Server\) has no server-level auditing policy: add an azure-native:sql:ExtendedServerBlobAuditingPolicy/,
      );
      assert.equal(v.urn, server.urn);
    });
    it("fails when the only policy is disabled", () =>
      expectFail(
        sqlServerAuditingPresent,
        [server, mutate(f.sqlAuditing("prod"), "state", "Disabled")],
        /has only disabled auditing policies \(sql-pay-prod-weu-audit\)/,
      ));
    it("does not count another server's policy", () =>
      expectFail(
        sqlServerAuditingPresent,
        [server, f.sqlServer("dev"), f.sqlAuditing("dev")],
        /^sql-pay-prod-weu .*no server-level auditing policy/,
      ));
    it("matches through propertyDependencies when serverName is unknown", async () => {
      const audit = {
        ...mutate(f.sqlAuditing("prod"), "serverName", UNKNOWN),
        propertyDependencies: { serverName: [server.urn] },
      };
      await expectPass(sqlServerAuditingPresent, [server, audit]);
      const other = {
        ...audit,
        propertyDependencies: { serverName: ["urn:pulumi:prod::x::azure-native:sql:Server::other"] },
      };
      await expectFail(sqlServerAuditingPresent, [server, other], /no server-level auditing policy/);
    });
    it("matches through a plain dependency when nothing else is known", () =>
      expectPass(sqlServerAuditingPresent, [
        server,
        { ...mutate(f.sqlAuditing("prod"), "serverName", UNKNOWN), dependencies: [server.urn] },
      ]));
    it("records an exemption instead of a violation", async () => {
      const r = await evaluatePolicy(sqlServerAuditingPresent, [server], {
        exemptions: [{ pattern: "sql-pay-prod-*", reason: "RISK-7: auditing via Azure Policy DINE assignment" }],
      });
      assert.deepEqual(r.messages, []);
      assert.equal(r.exemptions[0]?.urn, server.urn);
    });
  });

  describe(sqlServerDefenderPresent.name, () => {
    it("is not applicable to a stack without Azure SQL servers (never passed on nothing)", () =>
      expectNotApplicable(sqlServerDefenderPresent, [otherResource()]));
    const server = f.sqlServer("prod");
    it("passes a server with an enabled security alert policy", () =>
      expectPass(sqlServerDefenderPresent, [server, f.sqlSecurityAlert("prod")]));
    it("fails a server without one, reporting its URN", async () => {
      const v = await expectFail(
        sqlServerDefenderPresent,
        [server, f.sqlAuditing("prod")],
        /^sql-pay-prod-weu .*no Defender for SQL security alert policy: add an azure-native:sql:ServerSecurityAlertPolicy/,
      );
      assert.equal(v.urn, server.urn);
    });
    it("fails when the policy is disabled", () =>
      expectFail(
        sqlServerDefenderPresent,
        [server, mutate(f.sqlSecurityAlert("prod"), "state", "Disabled")],
        /only disabled security alert policies/,
      ));
    it("matches through propertyDependencies when serverName is unknown", () =>
      expectPass(sqlServerDefenderPresent, [
        server,
        {
          ...mutate(f.sqlSecurityAlert("prod"), "serverName", UNKNOWN),
          propertyDependencies: { serverName: [server.urn] },
        },
      ]));
    it("accepts a subscription-wide Defender plan only when acceptSubscriptionPlan is set", async () => {
      const plan = resourceRecord(
        "azure-native:security:Pricing",
        "defender-sql",
        { pricingName: "SqlServers", pricingTier: "Standard", scopeId: f.SUBSCRIPTION },
        { stack: "prod" },
      );
      await expectFail(sqlServerDefenderPresent, [server, plan], /no Defender for SQL/);
      await expectPass(sqlServerDefenderPresent, [server, plan], { acceptSubscriptionPlan: true });
    });
    it("recognises a typed plan by its name output (pricingName is a path input, not an output)", async () => {
      const deployedPlan = resourceRecord(
        "azure-native:security:Pricing",
        "defender-sql",
        { pricingName: "SqlServers", pricingTier: "Standard", scopeId: f.SUBSCRIPTION },
        { stack: "prod", outputs: { name: "SqlServers", pricingTier: "Standard" } },
      );
      await expectPass(sqlServerDefenderPresent, [server, deployedPlan], { acceptSubscriptionPlan: true });
      await expectFail(
        sqlServerDefenderPresent,
        [server, { ...deployedPlan, outputs: { name: "SqlServers", pricingTier: "Free" } }],
        /no Defender for SQL/,
        { acceptSubscriptionPlan: true },
      );
    });
    it("cannot decide during a first preview when a Standard plan's name is unknown (advisory, not a failure)", async () => {
      const planNew = resourceRecord(
        "azure-native:security:Pricing",
        "defender-sql",
        { pricingName: "SqlServers", pricingTier: "Standard", scopeId: f.SUBSCRIPTION },
        { stack: "prod", outputs: { name: UNKNOWN, pricingTier: "Standard" } },
      );
      const r = await evaluatePolicy(sqlServerDefenderPresent, [server, planNew], { acceptSubscriptionPlan: true });
      assert.equal(r.violations.length, 1);
      assert.equal(r.violations[0].enforcementLevel, "advisory");
      assert.match(r.violations[0].message, /can't run policy .* during preview/);
    });
    it("does not count a plan in a subscription deployment's template (stack policies see no template)", () =>
      expectFail(
        sqlServerDefenderPresent,
        [
          server,
          resourceRecord(
            "azure-native:resources:DeploymentAtSubscriptionScope",
            "defender",
            {
              deploymentName: "defender-for-cloud-plans",
              location: "westeurope",
              properties: {
                mode: "Incremental",
                template: {
                  resources: [
                    {
                      type: "Microsoft.Security/pricings",
                      name: "SqlServers",
                      properties: { pricingTier: "Standard" },
                    },
                  ],
                },
              },
            },
            { stack: "prod" },
          ),
        ],
        /no Defender for SQL/,
        { acceptSubscriptionPlan: true },
      ));
  });

  describe(sqlDatabaseLtrPresent.name, () => {
    it("is not applicable to a stack without Azure SQL databases (never passed on nothing)", () =>
      expectNotApplicable(sqlDatabaseLtrPresent, [otherResource()]));
    const db = f.sqlDatabase("prod");
    it("is not applicable when every database is outside prodStacks or out of PCI scope (nothing was checked)", () =>
      Promise.all([
        expectNotApplicable(sqlDatabaseLtrPresent, [f.sqlDatabase("dev")]),
        expectNotApplicable(sqlDatabaseLtrPresent, [db], { prodStacks: ["live"] }),
      ]));
    it("passes a prod database with a long-term retention policy", () =>
      expectPass(sqlDatabaseLtrPresent, [db, f.sqlLongTermRetention("prod")]));
    it("fails a prod database without one, reporting its URN", async () => {
      const v = await expectFail(
        sqlDatabaseLtrPresent,
        [db],
        /^sqldb-pay-prod-weu .*no long-term retention policy: add an azure-native:sql:LongTermRetentionPolicy/,
      );
      assert.equal(v.urn, db.urn);
    });
    it("does not count a policy for the same database name on another server", () =>
      expectFail(
        sqlDatabaseLtrPresent,
        [db, mutate(f.sqlLongTermRetention("prod"), "serverName", "sql-pay-prod-neu")],
        /no long-term retention policy/,
      ));
    it("does not count the primary's policy for a same-named database on another server while names are unknown", () => {
      const serverA = f.sqlServer("prod");
      const serverB = { ...serverA, name: "oltp-secondary", urn: serverA.urn.replace(/::[^:]+$/, "::oltp-secondary") };
      const onServer = (r: typeof db, server: typeof serverA): typeof db => ({
        ...r,
        propertyDependencies: { ...r.propertyDependencies, serverName: [server.urn] },
      });
      const secondaryDb = onServer(mutate(db, "serverName", UNKNOWN), serverB);
      const primaryPolicy = onServer(mutate(f.sqlLongTermRetention("prod"), "serverName", UNKNOWN), serverA);
      return Promise.all([
        expectFail(sqlDatabaseLtrPresent, [serverA, serverB, secondaryDb, primaryPolicy], /no long-term retention/),
        // On the right server, its database name built from the database's (path inputs are no outputs: the
        // dependencies the engine records tie them in a first preview).
        expectPass(sqlDatabaseLtrPresent, [
          serverA,
          serverB,
          secondaryDb,
          {
            ...primaryPolicy,
            propertyDependencies: { serverName: [serverB.urn], databaseName: [secondaryDb.urn] },
            dependencies: [serverB.urn, secondaryDb.urn],
          },
        ]),
      ]);
    });
    it("matches through propertyDependencies when databaseName is unknown", () =>
      expectPass(sqlDatabaseLtrPresent, [
        db,
        {
          ...mutate(f.sqlLongTermRetention("prod"), "databaseName", UNKNOWN),
          propertyDependencies: { databaseName: [db.urn] },
        },
      ]));
    it("requires a policy on geo-secondaries too (backups must continue after a failover)", async () => {
      const secondary = {
        ...mutate(mutate(db, "serverName", "sql-pay-prod-neu"), "createMode", "Secondary"),
        urn: `${db.urn}-secondary`,
        name: "oltp-secondary-db",
      };
      const v = await expectFail(
        sqlDatabaseLtrPresent,
        [db, f.sqlLongTermRetention("prod"), secondary],
        /no long-term retention policy/,
      );
      assert.equal(v.urn, secondary.urn);
    });
    it("ignores dev databases and out-of-scope databases beside a checked one", async () => {
      await expectPass(sqlDatabaseLtrPresent, [f.sqlDatabase("dev"), db, f.sqlLongTermRetention("prod")]);
      await expectNotApplicable(sqlDatabaseLtrPresent, [mutate(db, "tags.pci-scope", "out-of-scope")]);
    });
  });
});
