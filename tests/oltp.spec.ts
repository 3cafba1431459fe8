import { strict as assert } from "node:assert";
import {
  AUDIT_ACTION_GROUPS,
  COLLATION,
  DATABASE_NAME,
  databaseSku,
  serverKeyName,
  serverlessSettings,
  triggerAuditPredicates,
  validateOltpArgs,
  type OltpArgs,
} from "../components/oltp";
import { stackContext } from "../components/shared";
import { geoSecondaryType, type SqlConfig } from "../lib/config";
import { TENANT_ID } from "../tools/lib/azureMocks";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { fromStackExport, toStackExport, type PreviewResult } from "../tools/lib/preview";
import { byName, configOf, input, ofType, previewOf, prodWithAuditArchiveOf, waitsFor } from "./helpers/stacks";

const T = {
  server: "azure-native:sql:Server",
  database: "azure-native:sql:Database",
  protector: "azure-native:sql:EncryptionProtector",
  serverKey: "azure-native:sql:ServerKey",
  audit: "azure-native:sql:ExtendedServerBlobAuditingPolicy",
  defender: "azure-native:sql:ServerSecurityAlertPolicy",
  va: "azure-native:sql:SqlVulnerabilityAssessmentsSetting",
  classicVa: "azure-native:sql:ServerVulnerabilityAssessment",
  tde: "azure-native:sql:TransparentDataEncryption",
  masking: "azure-native:sql:DataMaskingPolicy",
  pitr: "azure-native:sql:BackupShortTermRetentionPolicy",
  ltr: "azure-native:sql:LongTermRetentionPolicy",
  fog: "azure-native:sql:FailoverGroup",
  firewallRule: "azure-native:sql:FirewallRule",
  adOnly: "azure-native:sql:ServerAzureADOnlyAuthentication",
  pe: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  diag: "azure-native:monitor:DiagnosticSetting",
  lock: "azure-native:authorization:ManagementLockByScope",
} as const;
const GIB = 1024 ** 3;

/** Every key anywhere in a JSON-like value. */
function keysDeep(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysDeep(v, into));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysDeep(v, into);
    }
  }
  return into;
}

describe("oltp (pure helpers)", () => {
  const dev = configOf("dev");
  const prod = configOf("prod");
  const argsFor = (sql: SqlConfig, extra: Partial<OltpArgs> = {}): OltpArgs =>
    ({
      context: stackContext(sql === prod.sql ? prod : dev),
      sql,
      entraAdmin: { login: "grp-x", objectId: "o", tenantId: "t" },
      triggerAuditArchive: { databaseUser: "id-pay-dev-weu-fraud", storageKey: {} },
      ...extra,
    }) as OltpArgs;

  it("names the server key <vault>_<key>_<version> as Azure requires", () => {
    assert.equal(
      serverKeyName("https://kv-pay-prod-weu-ab12.vault.azure.net/keys/cmk-sql/0123456789abcdef0123456789abcdef"),
      "kv-pay-prod-weu-ab12_cmk-sql_0123456789abcdef0123456789abcdef",
    );
    assert.throws(
      () => serverKeyName("https://kv-pay.vault.azure.net/keys/cmk-sql"),
      /not a versioned Key Vault key URI/,
    );
    assert.throws(() => serverKeyName("http://kv-pay.vault.azure.net/keys/cmk-sql/01ab"), /not a versioned/);
  });

  it("maps the config SKU to tier and family, with serverless settings only on GP_S_Gen5", () => {
    assert.deepEqual(databaseSku(prod.sql), { name: "BC_Gen5", tier: "BusinessCritical", family: "Gen5", capacity: 8 });
    assert.deepEqual(databaseSku(dev.sql), { name: "GP_S_Gen5", tier: "GeneralPurpose", family: "Gen5", capacity: 2 });
    assert.deepEqual(serverlessSettings(dev.sql), { minCapacity: 0.5, autoPauseDelay: 60 });
    assert.deepEqual(serverlessSettings(prod.sql), {});
  });

  it("makes the geo-secondary readable unless the stack asks for a standby replica (prod does)", () => {
    assert.equal(prod.sql.secondaryType, "Standby", "Pulumi.prod.yaml");
    assert.equal(geoSecondaryType(prod.sql), "Standby");
    assert.equal(geoSecondaryType({}), "Geo", "Azure's default");
    assert.equal(geoSecondaryType({ secondaryType: "Geo" }), "Geo");
  });

  it("refuses sql.archiveTriggerAudit without the scorer's database user and the storage key", () => {
    assert.throws(
      () => validateOltpArgs(argsFor({ ...dev.sql, archiveTriggerAudit: true }, { triggerAuditArchive: undefined })),
      /triggerAuditArchive: sql.archiveTriggerAudit is true, so the tier needs the scorer's database user/,
    );
    assert.doesNotThrow(() =>
      validateOltpArgs(argsFor({ ...dev.sql, archiveTriggerAudit: false }, { triggerAuditArchive: undefined })),
    );
  });

  it("writes the audit archive's predicates as complements, refusing a user name a predicate cannot quote", () => {
    assert.deepEqual(triggerAuditPredicates("id-pay-prod-weu-fraud", DATABASE_NAME), {
      server:
        "database_principal_name <> 'id-pay-prod-weu-fraud' OR NOT statement LIKE '%az_func%' OR database_name <> 'payments'",
      database:
        "database_principal_name = 'id-pay-prod-weu-fraud' AND statement LIKE '%az_func%' AND database_name = 'payments'",
    });
    assert.throws(
      () => triggerAuditPredicates("o'brien", DATABASE_NAME),
      /the scorer's database user 'o'brien' must be/,
    );
    assert.throws(() => triggerAuditPredicates("id-x", "pay ments"), /the database 'pay ments' must be letters/);
    assert.throws(() => triggerAuditPredicates("x".repeat(120), DATABASE_NAME), /over Azure's 200/);
  });

  it("accepts the committed stacks' settings", () => {
    assert.doesNotThrow(() => validateOltpArgs(argsFor(dev.sql)));
    assert.doesNotThrow(() => validateOltpArgs(argsFor(prod.sql)));
  });

  it("refuses auto-pause with a failover group or long-term retention, and ReadOnly locks", () => {
    assert.throws(
      () => validateOltpArgs(argsFor({ ...dev.sql, failoverGroup: true })),
      /sql.autoPauseDelayMinutes must be -1/,
    );
    assert.throws(
      () => validateOltpArgs(argsFor({ ...dev.sql, longTermRetention: prod.sql.longTermRetention })),
      /sql.autoPauseDelayMinutes must be -1/,
    );
    assert.doesNotThrow(() =>
      validateOltpArgs(argsFor({ ...dev.sql, failoverGroup: true, autoPauseDelayMinutes: -1 })),
    );
    assert.throws(() => validateOltpArgs(argsFor(prod.sql, { lock: { kind: "ReadOnly" } })), /ReadOnly lock/);
    assert.throws(
      () => validateOltpArgs(argsFor({ ...prod.sql, sku: { name: "HS_Gen5", capacity: 8 }, secondaryType: "Standby" })),
      /sql.secondaryType Standby needs a provisioned GP_Gen5 or BC_Gen5 database \(got HS_Gen5\); use Geo/,
    );
    // A zone-redundant Hyperscale database needs zone-redundant backups (prod's Geo is refused; GeoZone is not).
    const hyperscale = { ...prod.sql, sku: { name: "HS_Gen5" as const, capacity: 8 }, secondaryType: "Geo" as const };
    assert.throws(
      () => validateOltpArgs(argsFor({ ...hyperscale, hybridBenefit: false })),
      /sql.backupStorageRedundancy must be Zone or GeoZone with HS_Gen5 and zoneRedundant true \(got Geo\)/,
    );
    assert.doesNotThrow(() =>
      validateOltpArgs(argsFor({ ...hyperscale, hybridBenefit: false, backupStorageRedundancy: "GeoZone" })),
    );
    assert.doesNotThrow(() => validateOltpArgs(argsFor({ ...hyperscale, hybridBenefit: false, zoneRedundant: false })));
    assert.throws(
      () => validateOltpArgs(argsFor({ ...dev.sql, hybridBenefit: true })),
      /sql.hybridBenefit must be false on GP_S_Gen5: Azure Hybrid Benefit applies to GP_Gen5 or BC_Gen5 only/,
    );
    assert.throws(
      () =>
        validateOltpArgs(
          argsFor({ ...prod.sql, sku: { name: "HS_Gen5", capacity: 8 }, secondaryType: "Geo", hybridBenefit: true }),
        ),
      /sql.hybridBenefit must be false on HS_Gen5/,
    );
    assert.throws(() => validateOltpArgs(argsFor(prod.sql, { securityAlertEmails: [] })), /at least one recipient/);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`oltp (${stack})`, () => {
    const prod = stack === "prod";
    const config = configOf(stack);
    let preview: PreviewResult;
    let resources: ResourceRecord[];
    let mine: ResourceRecord[];
    let outputs: Record<string, unknown>;
    let servers: ResourceRecord[];
    let primary: ResourceRecord;
    let db: ResourceRecord;
    before(async () => {
      preview = await previewOf(stack);
      resources = preview.run.resources;
      outputs = preview.run.stackOutputs;
      mine = resources.filter((r) => r.name === "oltp" || r.name.startsWith("oltp-"));
      servers = ofType(mine, T.server);
      primary = byName(mine, "oltp-server");
      db = byName(mine, "oltp-db");
    });
    const idOf = (r: ResourceRecord) => String(r.outputs.id);
    /** The child of type `type` whose serverName is this server's. */
    const childOf = (server: ResourceRecord, type: string) => {
      const found = ofType(mine, type).filter((r) => r.inputs.serverName === server.inputs.serverName);
      assert.equal(found.length, 1, `one ${type} on ${String(server.inputs.serverName)}`);
      return found[0];
    };

    it("gives each database two and a half hours to scale or seed (Business Critical copies the data), in the stack's state", () => {
      const dbs = ofType(mine, "azure-native:sql:Database");
      assert.ok(dbs.length >= 1);
      for (const d of dbs) assert.deepEqual(d.customTimeouts, { create: 9000, update: 9000 }, d.name);
      // And in the export (apitype.ResourceV3 customTimeouts), which a deployed view reads back.
      const exported = toStackExport(preview.run).deployment.resources.find((r) => r.urn === db.urn);
      assert.deepEqual(exported?.customTimeouts, { create: 9000, update: 9000 });
      const back = fromStackExport(toStackExport(preview.run)).find((r) => r.urn === db.urn);
      assert.deepEqual(back?.customTimeouts, { create: 9000, update: 9000 });
    });

    it("registers one component with the documented type token, parent of every OLTP resource", () => {
      const component = byName(resources, "oltp");
      assert.equal(component.type, "payments:oltp:Oltp");
      for (const r of mine.filter((x) => x !== component)) {
        const parent = r.parent === component.urn || mine.some((p) => p.urn === r.parent);
        assert.ok(parent, `${r.name} is a child of the component`);
      }
    });

    it(`has ${prod ? "a primary in westeurope and a secondary in northeurope" : "one server in westeurope"}`, () => {
      assert.equal(servers.length, prod ? 2 : 1);
      assert.match(String(primary.inputs.serverName), new RegExp(`^sql-pay-${stack}-weu-[a-z0-9]{4}$`));
      assert.equal(primary.inputs.location, "westeurope");
      assert.equal(primary.inputs.resourceGroupName, `rg-pay-${stack}-weu-data`);
      if (prod) {
        const secondary = byName(mine, "oltp-secondary");
        assert.equal(secondary.inputs.location, "northeurope");
        assert.match(String(secondary.inputs.serverName), /^sql-pay-prod-neu-[a-z0-9]{4}$/);
      }
    });

    it("makes every server Entra-only with the database admins group, and never sets a SQL login or password", () => {
      const groupId = (outputs.entraGroupObjectIds as Record<string, string>).databaseAdmins;
      for (const server of servers) {
        assert.deepEqual(server.inputs.administrators, {
          administratorType: "ActiveDirectory",
          principalType: "Group",
          azureADOnlyAuthentication: true,
          login: `grp-pay-${stack}-database-admins`,
          sid: groupId,
          tenantId: TENANT_ID,
        });
        // Create-only: a change must never plan a replacement of the server (azure-native #4096).
        assert.ok(server.ignoreChanges?.includes("administrators"), server.name);
      }
      for (const r of mine) {
        const keys = keysDeep(r.inputs);
        for (const k of ["administratorLogin", "administratorLoginPassword", "password"]) {
          assert.ok(!keys.has(k), `${r.name} sets ${k}`);
        }
      }
      assert.equal(ofType(mine, T.firewallRule).length, 0, "no firewall rules");
      // Adding one would fail on the first `up`: the server already has Entra-only auth from creation.
      assert.equal(ofType(mine, T.adOnly).length, 0);
    });

    it("pins TLS 1.2, closes the public endpoint and restricts outbound traffic on every server", () => {
      for (const server of servers) {
        assert.equal(server.inputs.minimalTlsVersion, "1.2");
        assert.equal(server.inputs.publicNetworkAccess, "Disabled");
        assert.equal(server.inputs.restrictOutboundNetworkAccess, "Enabled");
        assert.equal(server.inputs.version, "12.0");
      }
    });

    it("encrypts with the platform's sql key through the platform's sql CMK identity, auto-rotated", () => {
      const identity = byName(resources, "platform-cmk-sql-id");
      const key = byName(resources, "platform-cmk-sql-key");
      // The key's role assignment, then the wait for it to reach Key Vault (CustomerManagedKey.accessGrant).
      const grant = byName(resources, "platform-cmk-sql-grant-propagation");
      assert.ok(grant.dependencies.includes(byName(resources, "platform-cmk-sql-ra-crypto-user").urn));
      const versioned = String(key.outputs.keyUriWithVersion);
      const [, vault, keyName, version] =
        /^https:\/\/([^.]+)\.vault\.azure\.net\/keys\/([^/]+)\/([0-9a-f]{32})$/.exec(versioned) ?? [];
      assert.ok(version, `versioned key URI ${versioned}`);
      for (const server of servers) {
        assert.deepEqual(server.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [idOf(identity)] });
        assert.equal(server.inputs.primaryUserAssignedIdentityId, idOf(identity));
        assert.equal(server.inputs.keyId, versioned);
        assert.ok(server.ignoreChanges?.includes("keyId"), "rotation must not be rolled back");
        assert.ok(server.dependencies.includes(grant.urn), `${server.name} waits for the key grant to propagate`);
        const protector = childOf(server, T.protector);
        assert.equal(protector.inputs.encryptionProtectorName, "current");
        assert.equal(protector.inputs.serverKeyType, "AzureKeyVault");
        assert.equal(protector.inputs.serverKeyName, `${vault}_${keyName}_${version}`);
        assert.equal(protector.inputs.autoRotationEnabled, true);
        assert.ok(protector.ignoreChanges?.includes("serverKeyName"));
      }
      assert.equal(keyName, "cmk-sql");
      assert.equal(ofType(mine, T.serverKey).length, 0, "the server registers its key from keyId");
      assert.ok(waitsFor(mine, db, childOf(primary, T.protector)), "database created after the protector");
      // And after every other setting of its server: Azure SQL refuses overlapping operations on one server. With the
      // audit archive (dev), the server audit comes after the database's own audit instead (its predicate needs it).
      const archived = configOf(stack).sql.archiveTriggerAudit;
      for (const setting of archived ? [T.defender] : [T.audit, T.defender])
        assert.ok(waitsFor(mine, db, childOf(primary, setting)), setting);
      if (archived) assert.ok(waitsFor(mine, childOf(primary, T.audit), byName(mine, "oltp-db-audit-archive")));
      assert.ok(waitsFor(mine, db, byName(mine, "oltp-server-pep")), "after the server's private endpoint");
    });

    it("uses the CMK identity as the only, primary server identity (key and Graph lookups) and exports its principal", () => {
      // Azure SQL uses the primary identity for Key Vault (TDE) and for Microsoft Graph lookups; with the CMK
      // identity as primary a system-assigned identity would never be used, so none is added (changing `identity`
      // later replaces the server, azure-native #1304).
      const identity = byName(resources, "platform-cmk-sql-id");
      assert.equal(identity.inputs.resourceName, `id-pay-${stack}-weu-cmk-sql`);
      for (const server of servers) {
        const id = server.inputs.identity as { type: string; userAssignedIdentities: string[] };
        assert.equal(id.type, "UserAssigned", `${server.name}: no system-assigned identity`);
        assert.deepEqual(id.userAssignedIdentities, [idOf(identity)]);
        assert.equal(server.inputs.primaryUserAssignedIdentityId, idOf(identity));
      }
      // The principal an Entra admin grants Directory Readers (or User.Read.All, GroupMember.Read.All,
      // Application.Read.All): one grant covers both servers.
      const component = byName(resources, "oltp");
      assert.equal(component.outputs.serverIdentityPrincipalId, identity.outputs.principalId);
      assert.match(String(component.outputs.serverIdentityPrincipalId), /^[0-9a-f-]{36}$/);
    });

    it("audits every server to Log Analytics with the required action groups (diagnostic setting on master)", () => {
      const workspace = idOf(byName(resources, "platform-log"));
      for (const server of servers) {
        const audit = childOf(server, T.audit);
        assert.equal(audit.inputs.state, "Enabled");
        assert.equal(audit.inputs.isAzureMonitorTargetEnabled, true);
        assert.equal(audit.inputs.isDevopsAuditEnabled, true);
        assert.equal(audit.inputs.storageEndpoint, undefined);
        assert.deepEqual(audit.inputs.auditActionsAndGroups, [...AUDIT_ACTION_GROUPS]);
        // Spelled out, not read from the constant (a group dropped from it would pass): PCI DSS 10.2.1.x asks for
        // logons, privilege changes (10.2.1.5), use of privileged accounts and impersonation (10.2.1.2).
        for (const g of [
          "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
          "FAILED_DATABASE_AUTHENTICATION_GROUP",
          "BATCH_COMPLETED_GROUP",
          "DATABASE_PRINCIPAL_CHANGE_GROUP",
          "DATABASE_ROLE_MEMBER_CHANGE_GROUP",
          "DATABASE_PERMISSION_CHANGE_GROUP",
          "DATABASE_OBJECT_PERMISSION_CHANGE_GROUP",
          "SCHEMA_OBJECT_PERMISSION_CHANGE_GROUP",
          "DATABASE_PRINCIPAL_IMPERSONATION_GROUP",
          "LEDGER_OPERATION_GROUP",
        ]) {
          assert.ok((audit.inputs.auditActionsAndGroups as string[]).includes(g), g);
        }
        const master = ofType(mine, T.diag).filter((d) => d.inputs.resourceUri === `${idOf(server)}/databases/master`);
        assert.equal(master.length, 1, `master diagnostic setting of ${server.name}`);
        assert.equal(master[0].inputs.workspaceId, workspace);
        // The categories the auditing docs name, by name (not a category group).
        assert.deepEqual(master[0].inputs.logs, [
          { category: "SQLSecurityAuditEvents", enabled: true },
          { category: "DevOpsOperationsAudit", enabled: true },
        ]);
        assert.deepEqual(master[0].inputs.metrics, []);
        // SQL database logs (master's audit stream included) only go to the AzureDiagnostics table.
        assert.equal(master[0].inputs.logAnalyticsDestinationType, undefined, "AzureDiagnostics table");
      }
    });

    it("enables Defender for SQL alerts on every server and leaves vulnerability assessment to the Defender plan", () => {
      for (const server of servers) {
        const defender = childOf(server, T.defender);
        assert.equal(defender.inputs.securityAlertPolicyName, "Default");
        assert.equal(defender.inputs.state, "Enabled");
        assert.deepEqual(defender.inputs.disabledAlerts, []);
        assert.equal(defender.inputs.emailAccountAdmins, true);
        assert.deepEqual(defender.inputs.emailAddresses, config.alertEmails);
      }
      // The subscription's Defender for Azure SQL plan turns express VA on for every server: declaring the setting
      // would fail with "cannot create already existing subresource".
      assert.equal(ofType(mine, T.va).length, 0, "no SqlVulnerabilityAssessmentsSetting");
      assert.deepEqual(
        config.alertEmails,
        prod
          ? ["data-platform-oncall@payments.example.com", "security-operations@payments.example.com"]
          : ["data-platform-dev@payments.example.com"],
      );
      assert.equal(ofType(mine, T.classicVa).length, 0, "no storage-based (classic) VA");
    });

    it("gives every server a private endpoint in the platform PE subnet, registered in privatelink.database.windows.net", () => {
      const zone = byName(resources, "platform-dns-database-windows-net");
      assert.equal(zone.inputs.privateZoneName, "privatelink.database.windows.net");
      const subnet = (outputs.subnetIds as Record<string, string>).privateEndpoints;
      for (const server of servers) {
        const pes = ofType(mine, T.pe).filter(
          (p) =>
            (p.inputs.privateLinkServiceConnections as { privateLinkServiceId: string }[])[0].privateLinkServiceId ===
            idOf(server),
        );
        assert.equal(pes.length, 1, `one PE for ${server.name}`);
        const pe = pes[0];
        assert.deepEqual(input(pe, "privateLinkServiceConnections.0.groupIds"), ["sqlServer"]);
        assert.equal(input(pe, "subnet.id"), subnet);
        assert.equal(pe.inputs.location, "westeurope", "the VNet's region, also for the secondary");
        assert.equal(pe.inputs.privateEndpointName, `pep-${String(server.inputs.serverName)}-sqlserver`);
        const group = ofType(mine, T.zoneGroup).find(
          (g) => g.inputs.privateEndpointName === pe.inputs.privateEndpointName,
        );
        assert.ok(group, "DNS zone group");
        assert.deepEqual(
          (group.inputs.privateDnsZoneConfigs as { privateDnsZoneId: string }[]).map((c) => c.privateDnsZoneId),
          [idOf(zone)],
        );
      }
    });

    it(`sizes the database for ${prod ? "prod (BC_Gen5 8 vCore, zone redundant, read scale-out, Geo backups)" : "dev (serverless GP_S_Gen5 with auto-pause)"}`, () => {
      const i = db.inputs;
      assert.equal(i.databaseName, DATABASE_NAME);
      assert.equal(i.serverName, primary.inputs.serverName);
      if (prod) {
        assert.deepEqual(i.sku, { name: "BC_Gen5", tier: "BusinessCritical", family: "Gen5", capacity: 8 });
        assert.equal(i.zoneRedundant, true);
        assert.equal(i.readScale, "Enabled");
        assert.equal(i.requestedBackupStorageRedundancy, "Geo");
        assert.equal(i.maxSizeBytes, 1024 * GIB);
        assert.equal(i.minCapacity, undefined);
        assert.equal(i.autoPauseDelay, undefined);
        assert.equal(i.licenseType, "BasePrice", "Azure Hybrid Benefit (sql.hybridBenefit)");
      } else {
        assert.deepEqual(i.sku, { name: "GP_S_Gen5", tier: "GeneralPurpose", family: "Gen5", capacity: 2 });
        assert.equal(i.minCapacity, 0.5);
        assert.equal(i.autoPauseDelay, 60);
        assert.equal(i.zoneRedundant, false);
        assert.equal(i.readScale, "Disabled");
        assert.equal(i.requestedBackupStorageRedundancy, "Local");
        assert.equal(i.maxSizeBytes, 32 * GIB);
        assert.equal(i.licenseType, undefined, "serverless has no licence type");
      }
      assert.equal(i.collation, COLLATION);
      // Not a ledger database (the payment tables are ledger tables; Customer data must stay erasable).
      assert.equal(config.sql.ledger, false);
      assert.equal(i.isLedgerOn, false);
    });

    it("enables TDE, data masking, PITR and (prod) long-term retention on the database", () => {
      const onDb = (type: string) => {
        const found = ofType(mine, type).filter(
          (r) => r.inputs.databaseName === DATABASE_NAME && r.inputs.serverName === primary.inputs.serverName,
        );
        assert.equal(found.length, 1, type);
        return found[0].inputs;
      };
      assert.deepEqual({ state: onDb(T.tde).state, name: onDb(T.tde).tdeName }, { state: "Enabled", name: "current" });
      assert.equal(onDb(T.masking).dataMaskingState, "Enabled");
      assert.equal(onDb(T.pitr).retentionDays, prod ? 35 : 7);
      assert.equal(onDb(T.pitr).diffBackupIntervalInHours, 12);
      if (prod) {
        const ltr = onDb(T.ltr);
        assert.deepEqual(
          [ltr.weeklyRetention, ltr.monthlyRetention, ltr.yearlyRetention, ltr.weekOfYear],
          ["P12W", "P12M", "P10Y", 1],
        );
      } else {
        assert.equal(ofType(mine, T.ltr).length, 0);
      }
    });

    it(`runs the database's management operations one at a time (TDE → masking → PITR${prod ? " → LTR → geo-secondary → its PITR → its LTR → failover group" : ""})`, () => {
      const chain = prod
        ? [
            "oltp-db-tde",
            "oltp-db-masking",
            "oltp-db-pitr",
            "oltp-db-ltr",
            "oltp-secondary-db",
            "oltp-secondary-db-pitr",
            "oltp-secondary-db-ltr",
            "oltp-fog",
          ]
        : ["oltp-db-tde", "oltp-db-masking", "oltp-db-pitr"];
      assert.ok(byName(mine, chain[0]).dependencies.includes(db.urn), "TDE after the database");
      for (let i = 1; i < chain.length; i++) {
        const [previous, next] = [byName(mine, chain[i - 1]), byName(mine, chain[i])];
        assert.ok(next.dependencies.includes(previous.urn), `${next.name} waits for ${previous.name}`);
      }
    });

    it("runs each server's own settings one at a time (protector → auditing → threat detection → private endpoint)", () => {
      for (const prefix of prod ? ["oltp-server", "oltp-secondary"] : ["oltp-server"]) {
        // With the audit archive (dev), the server's outbound firewall rule is one of its settings too.
        const outbound = mine.some((r) => r.name === `${prefix}-outbound-audit-archive`)
          ? [`${prefix}-outbound-audit-archive`]
          : [];
        assert.equal(outbound.length, configOf(stack).sql.archiveTriggerAudit ? 1 : 0);
        // With the archive's predicate (the primary in dev) the audit leaves the chain for after the database audit.
        const deferred = outbound.length > 0 && prefix === "oltp-server";
        const chain = [
          `${prefix}-protector`,
          ...outbound,
          ...(deferred ? [] : [`${prefix}-audit`]),
          `${prefix}-defender`,
          `${prefix}-pep`,
        ];
        for (let i = 1; i < chain.length; i++) {
          const [previous, next] = [byName(mine, chain[i - 1]), byName(mine, chain[i])];
          assert.ok(next.dependencies.includes(previous.urn), `${next.name} waits for ${previous.name}`);
        }
      }
    });

    it("archives the scorer's SQL trigger batches with complementary audits when sql.archiveTriggerAudit is on (dev), else leaves the server audit whole (prod)", () => {
      const audit = byName(mine, "oltp-server-audit");
      const archived = configOf(stack).sql.archiveTriggerAudit;
      if (!archived) {
        assert.equal(audit.inputs.predicateExpression, undefined);
        for (const r of ["oltp-db-audit-archive", "oltp-audit-archive-st", "oltp-server-outbound-audit-archive"])
          assert.ok(!mine.some((x) => x.name === r), r);
        return;
      }
      // The database user is the scorer's identity's Azure name (flow1_access.sql creates it under that name).
      const scorer = byName(resources, "ingestion-id-fraud-scoring").inputs.resourceName as string;
      const predicates = triggerAuditPredicates(scorer, DATABASE_NAME);
      assert.equal(audit.inputs.predicateExpression, predicates.server);
      const dbAudit = byName(mine, "oltp-db-audit-archive");
      const account = byName(mine, "oltp-audit-archive-st");
      const host = `${account.inputs.accountName as string}.blob.core.windows.net`;
      assert.deepEqual(
        {
          state: dbAudit.inputs.state,
          storageEndpoint: dbAudit.inputs.storageEndpoint,
          storageAccountAccessKey: dbAudit.inputs.storageAccountAccessKey,
          isAzureMonitorTargetEnabled: dbAudit.inputs.isAzureMonitorTargetEnabled,
          retentionDays: dbAudit.inputs.retentionDays,
          groups: dbAudit.inputs.auditActionsAndGroups,
          predicate: dbAudit.inputs.predicateExpression,
        },
        {
          state: "Enabled",
          storageEndpoint: `https://${host}/`,
          storageAccountAccessKey: undefined,
          isAzureMonitorTargetEnabled: false,
          retentionDays: configOf(stack).logRetentionDays,
          groups: [...AUDIT_ACTION_GROUPS],
          predicate: predicates.database,
        },
      );
      // The archive: cool, zone-redundant, no keys, the trusted-services bypass and the server's instance rule only.
      assert.equal(account.inputs.accessTier, "Cool");
      assert.equal(input(account, "sku.name"), "Standard_ZRS");
      assert.equal(account.inputs.allowSharedKeyAccess, false);
      assert.deepEqual(input(account, "networkRuleSet.ipRules"), []);
      assert.equal(input(account, "networkRuleSet.defaultAction"), "Deny");
      assert.equal(input(account, "networkRuleSet.bypass"), "AzureServices");
      const server = byName(mine, "oltp-server");
      assert.deepEqual(
        (input(account, "networkRuleSet.resourceAccessRules") as { resourceId: string }[]).map((r) => r.resourceId),
        [idOf(server)],
      );
      // Where protected (prod), audit records outlive the key: turning the archive off leaves the account and what
      // guards and reads it in Azure; dev retains nothing (a kept endpoint would stop the VNet's deletion).
      for (const r of [
        "oltp-audit-archive-st",
        "oltp-audit-archive-container",
        "oltp-audit-archive-worm",
        "oltp-audit-archive-blob-pep",
        "oltp-audit-archive-blob-pep-dns",
        "oltp-audit-archive-blob-diag",
      ])
        assert.equal(byName(mine, r).retainOnDelete, stack === "prod" ? true : undefined, r);
      const worm = byName(mine, "oltp-audit-archive-worm");
      assert.equal(worm.inputs.containerName, "sqldbauditlogs");
      assert.equal(worm.inputs.allowProtectedAppendWrites, true);
      assert.equal(worm.inputs.immutabilityPeriodSinceCreationInDays, dbAudit.inputs.retentionDays);
      const grant = byName(mine, "oltp-audit-archive-ra-sql-servers-blob-writer");
      assert.match(String(grant.inputs.roleDefinitionId), /ba92f5b4-2d11-453d-a403-e96b0029c9fe$/);
      // The server's one outbound destination is the archive's blob host.
      assert.equal(byName(mine, "oltp-server-outbound-audit-archive").inputs.outboundRuleFqdn, host);
      // Never a predicate without its complement: the server audit waits for the database audit (a failed create of
      // that audit leaves the server audit whole), and the geo-secondary, if any, for the server audit.
      assert.ok(audit.dependencies.includes(byName(mine, "oltp-db-audit-archive").urn));
      // The database audit waits for the database's previous setting, the retention policy and the grant's propagation.
      for (const before of ["oltp-db-pitr", "oltp-audit-archive-worm", "oltp-audit-archive-grant-propagation"])
        assert.ok(waitsFor(resources, dbAudit, byName(resources, before)), `oltp-db-audit-archive waits for ${before}`);
    });

    it("sends every SQL database's logs (AzureDiagnostics table) and metrics to the platform workspace", () => {
      const workspace = idOf(byName(resources, "platform-log"));
      const dbs = ofType(mine, T.database);
      assert.equal(dbs.length, prod ? 2 : 1);
      for (const d of dbs) {
        const settings = ofType(mine, T.diag).filter((x) => x.inputs.resourceUri === idOf(d));
        assert.equal(settings.length, 1, d.name);
        assert.equal(settings[0].inputs.workspaceId, workspace);
        assert.deepEqual(settings[0].inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
        assert.deepEqual(settings[0].inputs.metrics, [{ category: "AllMetrics", enabled: true }]);
        // Azure SQL database logs only go to AzureDiagnostics: no resource-specific ("Dedicated") destination.
        assert.equal(settings[0].inputs.logAnalyticsDestinationType, undefined, `${d.name}: AzureDiagnostics table`);
      }
    });

    it("tags every taggable OLTP resource as restricted, PCI CDE, component oltp", () => {
      for (const r of [...servers, ...ofType(mine, T.database), ...ofType(mine, T.pe), ...ofType(mine, T.fog)]) {
        const tags = r.inputs.tags as Record<string, string>;
        assert.equal(tags["data-classification"], "restricted", r.name);
        assert.equal(tags["pci-scope"], "cde", r.name);
        assert.equal(tags.component, "oltp", r.name);
        assert.equal(tags.environment, stack, r.name);
      }
    });

    it(prod ? "protects and locks every server and database" : "neither protects nor locks anything in dev", () => {
      const stateful = [...servers, ...ofType(mine, T.database)];
      assert.equal(stateful.length, prod ? 4 : 2);
      const locks = ofType(mine, T.lock);
      for (const r of stateful) {
        assert.equal(r.protect, prod, `${r.name} protect`);
        const lock = locks.filter((l) => l.inputs.scope === idOf(r));
        assert.equal(lock.length, prod ? 1 : 0, `${r.name} lock`);
        if (prod) {
          assert.equal(lock[0].inputs.level, "CanNotDelete");
          assert.ok(lock[0].dependencies.includes(r.urn));
        }
      }
      assert.equal(locks.length, prod ? 4 : 0);
    });

    if (prod) {
      it("replicates to an explicit geo-secondary in northeurope with the same compute and HA", () => {
        const secondary = byName(mine, "oltp-secondary");
        const sdb = byName(mine, "oltp-secondary-db");
        assert.equal(sdb.inputs.createMode, "Secondary");
        assert.equal(sdb.inputs.secondaryType, "Standby", "a standby replica: no SQL licence billed");
        assert.equal(sdb.inputs.sourceDatabaseId, idOf(db));
        assert.equal(sdb.inputs.serverName, secondary.inputs.serverName);
        assert.equal(sdb.inputs.databaseName, DATABASE_NAME);
        assert.equal(sdb.inputs.location, "northeurope");
        assert.equal(sdb.inputs.readScale, "Disabled", "no read-scale routing on a standby replica");
        for (const k of ["sku", "zoneRedundant", "requestedBackupStorageRedundancy", "licenseType"]) {
          assert.deepEqual(sdb.inputs[k], db.inputs[k], k);
        }
        assert.equal(sdb.inputs.isLedgerOn, undefined, "inherited from the primary");
        for (const server of servers)
          for (const setting of [T.protector, T.audit, T.defender])
            assert.ok(waitsFor(mine, sdb, childOf(server, setting)), `${String(server.inputs.serverName)} ${setting}`);
        for (const pep of ["oltp-server-pep", "oltp-secondary-pep"])
          assert.ok(waitsFor(mine, sdb, byName(mine, pep)), pep);
      });

      it("puts the geo-secondary's server and database in a resource group of the secondary region, the failover group on the primary", () => {
        // Resource Manager may refuse writes to a group whose region is down: the forced failover, a write to the
        // secondary server, must not depend on West Europe (Azure Resource Manager overview, "Resource group location
        // alignment"; docs/disaster-recovery.md).
        const group = byName(mine, "oltp-secondary-rg");
        assert.equal(group.type, "azure-native:resources:ResourceGroup");
        assert.deepEqual(
          [group.inputs.resourceGroupName, group.inputs.location],
          ["rg-pay-prod-neu-data", "northeurope"],
        );
        for (const n of ["oltp-secondary", "oltp-secondary-db"]) {
          const r = byName(mine, n);
          assert.deepEqual([r.inputs.resourceGroupName, r.inputs.location], ["rg-pay-prod-neu-data", "northeurope"], n);
          assert.ok(
            r.dependencies.includes(group.urn) || r.propertyDependencies.resourceGroupName?.includes(group.urn),
            n,
          );
        }
        assert.equal(byName(mine, "oltp-server").inputs.resourceGroupName, "rg-pay-prod-weu-data");
        assert.equal(byName(mine, "oltp-fog").inputs.resourceGroupName, "rg-pay-prod-weu-data");
      });

      it("grants on the geo-secondary's server what it grants on the primary's (the primary after a failover)", () => {
        const on = (server: string) =>
          ofType(mine, "azure-native:authorization:RoleAssignment")
            .filter((r) => r.inputs.scope === idOf(byName(mine, server)))
            .map((r) => [r.inputs.roleDefinitionId, r.inputs.principalId]);
        const primaryGrants = on("oltp-server");
        assert.ok(primaryGrants.length > 0, "the tier's role assignments are on the primary");
        assert.deepEqual(on("oltp-secondary"), primaryGrants);
      });

      it("gives the geo-secondary the same PITR and long-term retention as the primary", () => {
        const sdb = byName(mine, "oltp-secondary-db");
        for (const [type, primaryName, secondaryName] of [
          [T.pitr, "oltp-db-pitr", "oltp-secondary-db-pitr"],
          [T.ltr, "oltp-db-ltr", "oltp-secondary-db-ltr"],
        ] as const) {
          const onSecondary = ofType(mine, type).filter(
            (r) => r.inputs.serverName === sdb.inputs.serverName && r.inputs.databaseName === DATABASE_NAME,
          );
          assert.equal(onSecondary.length, 1, `${type} on the geo-secondary`);
          assert.equal(onSecondary[0].name, secondaryName);
          const {
            serverName: _p,
            resourceGroupName: primaryGroup,
            ...primaryPolicy
          } = byName(mine, primaryName).inputs;
          const { serverName: _s, resourceGroupName: secondaryGroup, ...secondaryPolicy } = onSecondary[0].inputs;
          assert.deepEqual(secondaryPolicy, primaryPolicy, `${type}: same values`);
          // Each in its server's resource group: the secondary's is in its own region (docs/disaster-recovery.md).
          assert.equal(primaryGroup, "rg-pay-prod-weu-data");
          assert.equal(secondaryGroup, "rg-pay-prod-neu-data");
        }
        assert.equal(byName(mine, "oltp-secondary-db-pitr").inputs.retentionDays, 35);
        assert.deepEqual(
          ["weeklyRetention", "monthlyRetention", "yearlyRetention", "weekOfYear"].map(
            (k) => byName(mine, "oltp-secondary-db-ltr").inputs[k],
          ),
          ["P12W", "P12M", "P10Y", 1],
        );
      });

      it("puts the database in a customer-managed failover group with the secondary server", () => {
        const fogs = ofType(mine, T.fog);
        assert.equal(fogs.length, 1);
        const fog = fogs[0];
        assert.match(String(fog.inputs.failoverGroupName), /^fog-pay-prod-weu-[a-z0-9]{4}$/);
        assert.equal(fog.inputs.serverName, primary.inputs.serverName);
        assert.deepEqual(fog.inputs.partnerServers, [{ id: idOf(byName(mine, "oltp-secondary")) }]);
        assert.deepEqual(fog.inputs.databases, [idOf(db)]);
        // Customer-managed: no Microsoft-initiated failover to a region nothing of the platform reaches.
        assert.deepEqual(fog.inputs.readWriteEndpoint, { failoverPolicy: "Manual" });
        assert.deepEqual(fog.inputs.readOnlyEndpoint, { failoverPolicy: "Disabled" });
        assert.equal(fog.inputs.secondaryType, "Standby");
        assert.ok(fog.dependencies.includes(byName(mine, "oltp-secondary-db").urn));
        const endpoints = outputs.sqlEndpoints as Record<string, string>;
        assert.equal(endpoints.readWrite, `${String(fog.inputs.failoverGroupName)}.database.windows.net`);
        assert.equal(endpoints.geoSecondaryReadOnly, undefined, "a standby replica serves no reads");
        assert.equal(endpoints.secondaryServerName, byName(mine, "oltp-secondary").inputs.serverName);
        assert.equal(
          endpoints.readOnlyConnection,
          `Server=tcp:${endpoints.readWrite},1433;Database=payments;ApplicationIntent=ReadOnly;Encrypt=True;Authentication=Active Directory Default`,
        );
      });
    } else {
      it("has no secondary, failover group or read-only endpoint", () => {
        assert.equal(ofType(mine, T.fog).length, 0);
        assert.equal(ofType(mine, T.database).length, 1);
        assert.deepEqual(outputs.sqlEndpoints, {
          readWrite: `${String(primary.inputs.serverName)}.database.windows.net`,
        });
      });
    }

    it("exports the server, FQDN and database", () => {
      assert.equal(outputs.sqlServerName, primary.inputs.serverName);
      assert.equal(outputs.sqlServerFqdn, `${String(primary.inputs.serverName)}.database.windows.net`);
      assert.equal(outputs.sqlDatabaseName, DATABASE_NAME);
      assert.equal(outputs.sqlDatabaseId, idOf(db));
    });

    it("raises no policy violation on an OLTP resource (the audit archive's account: only what a first preview cannot decide)", () => {
      const urns = new Set(mine.map((r) => r.urn));
      const violations = preview.verdict.violations.filter((v) => v.urn !== undefined && urns.has(v.urn));
      const undecided = violations.filter(
        (v) =>
          v.urn?.endsWith("::oltp-audit-archive-st") &&
          v.enforcementLevel === "advisory" &&
          /can't be known during preview$/.test(v.message),
      );
      // The master database's setting names its audit categories, whose requirement depends on the resource it is
      // on: undecided while its id is unknown, one per server.
      const masters = violations.filter(
        (v) =>
          /::oltp-(server|secondary)-master-diag$/.test(v.urn ?? "") &&
          v.enforcementLevel === "advisory" &&
          /at \.resourceUri can't be known during preview$/.test(v.message),
      );
      assert.deepEqual(
        violations,
        [...undecided, ...masters].sort((a, b) => violations.indexOf(a) - violations.indexOf(b)),
      );
      assert.equal(undecided.length, configOf(stack).sql.archiveTriggerAudit ? 3 : 0, "as the other accounts have");
      assert.equal(masters.length, mine.filter((r) => /-master-diag$/.test(r.name)).length);
    });
  });
}

describe("oltp: prod with the audit archive on (the owner's lever)", () => {
  it("retains and protects the archive, gives both servers the outbound rule and only the primary the predicate", async function () {
    this.timeout(300_000);
    const resources = await prodWithAuditArchiveOf();
    for (const r of ["oltp-audit-archive-st", "oltp-audit-archive-container", "oltp-audit-archive-worm"]) {
      assert.equal(byName(resources, r).retainOnDelete, true, r);
      assert.equal(byName(resources, r).protect, true, r);
    }
    for (const r of ["oltp-audit-archive-blob-pep", "oltp-audit-archive-blob-pep-dns", "oltp-audit-archive-blob-diag"])
      assert.equal(byName(resources, r).retainOnDelete, true, r);
    const host = `${byName(resources, "oltp-audit-archive-st").inputs.accountName as string}.blob.core.windows.net`;
    for (const server of ["oltp-server", "oltp-secondary"])
      assert.equal(byName(resources, `${server}-outbound-audit-archive`).inputs.outboundRuleFqdn, host, server);
    assert.match(
      String(byName(resources, "oltp-server-audit").inputs.predicateExpression),
      /^database_principal_name <> /,
    );
    assert.equal(byName(resources, "oltp-secondary-audit").inputs.predicateExpression, undefined);
    // The geo-secondary's creation waits for the primary's audit with its predicate (one database operation at a time).
    assert.ok(waitsFor(resources, byName(resources, "oltp-secondary-db"), byName(resources, "oltp-server-audit")));
  });
});
