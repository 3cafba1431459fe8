import { strict as assert } from "node:assert";
import * as path from "node:path";
import { SESSION_CONTEXT_BATCH } from "../pipelines/functions/src/lib/synapse";
import {
  FILE_SYSTEMS,
  lifecycleRules,
  POOL_LOG_CATEGORIES,
  POOL_OPERATOR_ACTIONS,
  sqlAdminTemplate,
  sqlSecurityTemplate,
  SYNAPSE_AUDIT_ACTION_GROUPS,
  validateOlapArgs,
  WORKSPACE_LOG_CATEGORIES,
  workloadGroups,
  type OlapArgs,
} from "../components/olap";
import { BuiltInRoles, stackContext } from "../components/shared";
import { olapIssues, parseConfig, PROJECT, readRaw, recoverableDatabaseId, type OlapConfig } from "../lib/config";
import { TENANT_ID } from "../tools/lib/azureMocks";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { previewStack, type PreviewResult } from "../tools/lib/preview";
import { loadStackConfig } from "../tools/lib/stackConfig";
import { assertChainedPairwise, byName, configOf, input, ofType, previewEdited, previewOf } from "./helpers/stacks";

const T = {
  account: "azure-native:storage:StorageAccount",
  container: "azure-native:storage:BlobContainer",
  blobService: "azure-native:storage:BlobServiceProperties",
  lifecycle: "azure-native:storage:ManagementPolicy",
  workspace: "azure-native:synapse:Workspace",
  pool: "azure-native:synapse:SqlPool",
  tde: "azure-native:synapse:SqlPoolTransparentDataEncryption",
  wg: "azure-native:synapse:SqlPoolWorkloadGroup",
  wc: "azure-native:synapse:SqlPoolWorkloadClassifier",
  hub: "azure-native:synapse:PrivateLinkHub",
  admin: "azure-native:synapse:WorkspaceSqlAadAdmin",
  deployment: "azure-native:resources:Deployment",
  pe: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  diag: "azure-native:monitor:DiagnosticSetting",
  lock: "azure-native:authorization:ManagementLockByScope",
  ra: "azure-native:authorization:RoleAssignment",
  roleDef: "azure-native:authorization:RoleDefinition",
} as const;

const ROLE = {
  blobContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  blobReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
};

describe("olap (config and pure helpers)", () => {
  const dev = configOf("dev");
  const prod = configOf("prod");
  const withLake = (o: OlapConfig, lake: Partial<OlapConfig["lake"]>): OlapConfig => ({
    ...o,
    lake: { ...o.lake, ...lake },
  });
  const messages = (o: OlapConfig, location = "westeurope", env: "dev" | "prod" = "dev") =>
    olapIssues(o, location, env).map((i) => `${i.path.join(".")}: ${i.message}`);

  it("accepts both committed stacks", () => {
    assert.deepEqual(messages(dev.olap), []);
    assert.deepEqual(messages(prod.olap, "westeurope", "prod"), []);
  });

  it("refuses a SKU Azure does not sell, naming the key and the allowed values", () => {
    const sc = loadStackConfig(path.resolve(__dirname, ".."), "dev");
    const raw = readRaw((key) => sc.config[`${PROJECT}:${key}`]);
    const olap = raw.olap as { pool: { sku: string } };
    olap.pool.sku = "DW400";
    assert.throws(
      () => parseConfig(raw, "dev"),
      /config payments-data-platform:olap \(pool\.sku\): got "DW400"; must be a dedicated SQL pool service level Azure sells: one of DW100c, DW200c, .*DW30000c/,
    );
  });

  it("refuses a negative age and a lifecycle out of tier order", () => {
    const sc = loadStackConfig(path.resolve(__dirname, ".."), "dev");
    const raw = readRaw((key) => sc.config[`${PROJECT}:${key}`]);
    (raw.olap as { lake: { lifecycle: { raw: Record<string, number> } } }).lake.lifecycle.raw.coolAfterDays = -1;
    assert.throws(
      () => parseConfig(raw, "dev"),
      /olap \(lake\.lifecycle\.raw\.coolAfterDays\): got -1; must be between 0 and 36500 days/,
    );
    const disordered = withLake(dev.olap, {
      lifecycle: { ...dev.olap.lake.lifecycle, raw: { coolAfterDays: 90, coldAfterDays: 30 } },
    });
    assert.deepEqual(messages(disordered), [
      "lake.lifecycle.raw.coldAfterDays: must be greater than coolAfterDays (90): blobs move hot → cool → cold → archive → delete, each step later than the one before",
    ]);
    assert.match(
      messages(withLake(dev.olap, { lifecycle: { ...dev.olap.lake.lifecycle, archive: {} } }))[0],
      /lake\.lifecycle\.archive: must set at least one of coolAfterDays/,
    );
  });

  it("refuses the archive tier on zone-redundant accounts and geo-redundancy without an EU pair", () => {
    const archived = withLake(prod.olap, {
      lifecycle: { ...prod.olap.lake.lifecycle, raw: { coolAfterDays: 30, archiveAfterDays: 180 } },
    });
    assert.match(
      messages(archived, "westeurope", "prod").join("\n"),
      /archiveAfterDays: the archive tier is not available on Standard_GZRS accounts .*use coldAfterDays/,
    );
    assert.deepEqual(messages(withLake(archived, { sku: "Standard_GRS" })).join("\n"), "");
    assert.match(messages(prod.olap, "italynorth", "prod").join("\n"), /italynorth has no Azure region pair/);
    // Prod in a region without a pair: one message, pointing at the regions that have one, never at Standard_ZRS
    // (which the GZRS rule would then refuse), whatever the lake's SKU.
    for (const sku of ["Standard_GZRS", "Standard_ZRS"] as const) {
      const text = messages(withLake(prod.olap, { sku }), "italynorth", "prod").join("\n");
      assert.match(
        text,
        /italynorth has no Azure region pair, so it offers no geo-redundant storage, which prod requires .*: deploy prod to a location with an EU pair \(westeurope, /,
      );
      assert.doesNotMatch(text, /use Standard_ZRS|must be Standard_GZRS/, sku);
    }
    assert.match(
      messages(withLake(prod.olap, { sku: "Standard_ZRS" }), "westeurope", "prod").join("\n"),
      /lake\.sku: must be Standard_GZRS or Standard_RAGZRS in prod/,
    );
    assert.match(
      messages({ ...prod.olap, pool: { ...prod.olap.pool, geoBackup: false } }, "westeurope", "prod").join("\n"),
      /pool\.geoBackup: must be true in prod/,
    );
  });

  it("sizes workload groups within what the service level allows", () => {
    const wi = dev.olap.workloadIsolation;
    const at = (etl: Partial<typeof wi.etl>, sku: OlapConfig["pool"]["sku"] = "DW100c") =>
      messages({
        ...dev.olap,
        pool: { ...dev.olap.pool, sku },
        workloadIsolation: { ...wi, etl: { ...wi.etl, ...etl } },
      });
    assert.match(at({ requestMinPercent: 10 }).join("\n"), /etl\.requestMinPercent: must be at least 25 on DW100c/);
    assert.deepEqual(at({ requestMinPercent: 10, minPercent: 20 }, "DW500c"), []);
    assert.match(at({ minPercent: 30 }).join("\n"), /etl\.minPercent: must be a multiple of requestMinPercent \(25\)/);
    assert.match(at({ minPercent: 75 }).join("\n"), /etl\.minPercent \+ bi\.minPercent is 125/);
    assert.match(at({ capPercent: 10, minPercent: 25 }).join("\n"), /etl\.capPercent: must be at least minPercent/);
    // dbo is the pool's own classifier member (Microsoft says a managed identity runs as dbo in a workspace pool).
    assert.match(
      at({ memberName: "DBO" }).join("\n"),
      /etl\.memberName: must not be dbo: the pool classifies dbo itself/,
    );
    assert.deepEqual(at({ memberName: "etl_loader" }), []);
    assert.match(
      messages({ ...dev.olap, pauseSchedule: { ...dev.olap.pauseSchedule!, pauseAt: "06:00" } }).join("\n"),
      /pauseSchedule\.pauseAt: must be later in the day than resumeAt \(07:00\)/,
    );
  });

  it("restores the geo-backup of the pool an id names, in the SQL form Restore-AzSynapseSqlPool -FromBackup takes", () => {
    const sub = "/subscriptions/0000/resourceGroups/rg-pay-prod-weu-data/providers";
    const backup = `${sub}/Microsoft.Sql/servers/synw-pay-prod-weu/recoverabledatabases/syndppayprodweu`;
    for (const id of [
      `${sub}/Microsoft.Synapse/workspaces/synw-pay-prod-weu/sqlPools/syndppayprodweu`,
      `${sub}/Microsoft.Synapse/workspaces/synw-pay-prod-weu/recoverableSqlPools/syndppayprodweu`,
      `${sub}/microsoft.synapse/WORKSPACES/synw-pay-prod-weu/recoverablesqlpools/syndppayprodweu`,
      backup,
      `${sub}/Microsoft.Sql/servers/synw-pay-prod-weu/recoverableDatabases/syndppayprodweu`,
    ])
      assert.equal(recoverableDatabaseId(id), backup, id);
    // A live database (a restore point's source) or the workspace alone names no geo-backup.
    for (const id of [
      `${sub}/Microsoft.Sql/servers/synw-pay-prod-weu/databases/syndppayprodweu`,
      `${sub}/Microsoft.Synapse/workspaces/synw-pay-prod-weu`,
      `${sub}/Microsoft.Synapse/workspaces/synw-pay-prod-weu/sqlPools/syndppayprodweu/extra`,
    ])
      assert.equal(recoverableDatabaseId(id), undefined, id);
  });

  it("turns the config's ages into lifecycle rules on the raw and archive prefixes", () => {
    assert.deepEqual(lifecycleRules(prod.olap.lake), [
      {
        name: "raw-tiering",
        enabled: true,
        type: "Lifecycle",
        definition: {
          filters: { blobTypes: ["blockBlob"], prefixMatch: ["raw/"] },
          actions: {
            baseBlob: {
              tierToCool: { daysAfterModificationGreaterThan: 30 },
              tierToCold: { daysAfterModificationGreaterThan: 90 },
              delete: { daysAfterModificationGreaterThan: 395 },
            },
          },
        },
      },
      {
        name: "archive-tiering",
        enabled: true,
        type: "Lifecycle",
        definition: {
          filters: { blobTypes: ["blockBlob"], prefixMatch: ["curated/archive/"] },
          actions: {
            baseBlob: {
              tierToCool: { daysAfterModificationGreaterThan: 0 },
              tierToCold: { daysAfterModificationGreaterThan: 90 },
            },
          },
        },
      },
    ]);
  });

  it("isolates the nightly load from dashboards (prod: ETL capped at 60 %, BI guaranteed 40 % at high importance)", () => {
    const [etl, bi] = workloadGroups(prod.olap.workloadIsolation);
    assert.deepEqual(
      [etl.groupName, etl.minPercent, etl.capPercent, etl.requestMinPercent, etl.memberName, etl.importance],
      ["wg_etl", 30, 60, 10, undefined, "normal"],
    );
    assert.deepEqual(
      [bi.groupName, bi.minPercent, bi.capPercent, bi.requestMinPercent, bi.importance, bi.queryTimeoutSeconds],
      ["wg_bi", 40, 100, 5, "high", 300],
    );
    assert.equal(bi.memberName, undefined, "defaults to the analysts group");
  });

  it("declares auditing, threat detection and recurring VA scans in the SQL security template", () => {
    const t = sqlSecurityTemplate() as { resources: { type: string; properties: Record<string, unknown> }[] };
    const [audit, alerts, va] = t.resources;
    assert.deepEqual(audit.properties, {
      state: "Enabled",
      isAzureMonitorTargetEnabled: true,
      auditActionsAndGroups: [...SYNAPSE_AUDIT_ACTION_GROUPS],
    });
    // Synapse SQL pools support the default audit action groups only (auditing-overview, "Auditing limitations").
    assert.deepEqual([...SYNAPSE_AUDIT_ACTION_GROUPS].sort(), [
      "BATCH_COMPLETED_GROUP",
      "FAILED_DATABASE_AUTHENTICATION_GROUP",
      "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
    ]);
    assert.deepEqual(alerts.properties.disabledAlerts, []);
    assert.equal(alerts.properties.state, "Enabled");
    assert.deepEqual(va.properties.recurringScans, {
      isEnabled: true,
      emailSubscriptionAdmins: true,
      emails: "[parameters('alertEmails')]",
    });
    assert.equal(va.properties.storageAccountAccessKey, undefined);
    assert.equal(va.properties.storageContainerSasKey, undefined);
  });

  it("refuses ReadOnly locks, missing alert recipients and duplicate grantee keys", () => {
    const args = (extra: Partial<OlapArgs>) => ({ context: stackContext(dev), olap: dev.olap, ...extra }) as OlapArgs;
    assert.doesNotThrow(() => validateOlapArgs(args({})));
    assert.throws(() => validateOlapArgs(args({ lock: { kind: "ReadOnly" } })), /ReadOnly lock/);
    assert.throws(() => validateOlapArgs(args({ securityAlertEmails: [] })), /at least one recipient/);
    const g = { key: "adf", principalId: "p", principalType: "ServicePrincipal" as const };
    assert.throws(() => validateOlapArgs(args({ lakeReaders: [g, g] })), /lakeReaders: key 'adf' is used twice/);
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`olap (${stack})`, () => {
    const prod = stack === "prod";
    const config = configOf(stack);
    let preview: PreviewResult;
    let resources: ResourceRecord[];
    let mine: ResourceRecord[];
    let outputs: Record<string, unknown>;
    let account: ResourceRecord;
    let workspace: ResourceRecord;
    let pool: ResourceRecord;
    before(async () => {
      preview = await previewOf(stack);
      resources = preview.run.resources;
      outputs = preview.run.stackOutputs;
      mine = resources.filter((r) => r.name === "olap" || r.name.startsWith("olap-"));
      account = byName(mine, "olap-lake");
      workspace = byName(mine, "olap-workspace");
      pool = byName(mine, "olap-pool");
    });
    const idOf = (r: ResourceRecord) => String(r.outputs.id);
    const peFor = (target: ResourceRecord, groupId: string) => {
      const found = ofType(mine, T.pe).filter((p) => {
        const c = (p.inputs.privateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[])[0];
        return c.privateLinkServiceId === idOf(target) && c.groupIds[0] === groupId;
      });
      assert.equal(found.length, 1, `one ${groupId} endpoint on ${target.name}`);
      return found[0];
    };

    it("registers one component, parent of every OLAP resource", () => {
      const component = byName(resources, "olap");
      assert.equal(component.type, "payments:olap:Olap");
      for (const r of mine.filter((x) => x !== component)) {
        assert.ok(r.parent === component.urn || mine.some((p) => p.urn === r.parent), `${r.name} is a child`);
      }
    });

    it(`builds a private, Entra-only ADLS Gen2 lake (${prod ? "GZRS" : "ZRS"})`, () => {
      const i = account.inputs;
      assert.match(String(i.accountName), new RegExp(`^stpay${stack}weulake[a-z0-9]{4}$`));
      assert.equal(i.resourceGroupName, `rg-pay-${stack}-weu-data`);
      assert.deepEqual(i.sku, { name: prod ? "Standard_GZRS" : "Standard_ZRS" });
      assert.equal(i.kind, "StorageV2");
      assert.equal(i.isHnsEnabled, true);
      // Server-side copies only from accounts reached through private link (not any account of the tenant).
      assert.equal(i.allowedCopyScope, "PrivateLink");
      assert.equal(i.allowSharedKeyAccess, false);
      assert.equal(i.defaultToOAuthAuthentication, true);
      assert.equal(i.allowBlobPublicAccess, false);
      // The SQL pools reach a firewalled lake only through a resource instance rule for the workspace
      // (connect-to-a-secure-storage-account.md): the public endpoint admits that one workspace, nothing else.
      assert.equal(i.publicNetworkAccess, "Enabled");
      assert.deepEqual(i.networkRuleSet, {
        defaultAction: "Deny",
        bypass: "None",
        ipRules: [],
        virtualNetworkRules: [],
        resourceAccessRules: [{ tenantId: TENANT_ID, resourceId: byName(resources, "olap-workspace").id }],
      });
      assert.equal(i.minimumTlsVersion, "TLS1_2");
      assert.equal(i.enableHttpsTrafficOnly, true);
      assert.equal(i.allowCrossTenantReplication, false);
    });

    it("encrypts the lake twice, with the platform's storage key through its user-assigned identity, after the grant", () => {
      const identity = byName(resources, "platform-cmk-storage-id");
      const key = byName(resources, "platform-cmk-storage-key");
      const enc = account.inputs.encryption as Record<string, unknown>;
      assert.equal(enc.requireInfrastructureEncryption, true);
      assert.equal(enc.keySource, "Microsoft.Keyvault");
      assert.deepEqual(enc.keyVaultProperties, {
        keyName: "cmk-storage",
        keyVaultUri: (outputs.keyVaultUri as string) ?? undefined,
      });
      assert.equal(key.inputs.keyName, "cmk-storage");
      assert.deepEqual(enc.encryptionIdentity, { encryptionUserAssignedIdentity: idOf(identity) });
      assert.deepEqual(account.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [idOf(identity)] });
      assert.ok(account.dependencies.includes(byName(resources, "platform-cmk-storage-grant-propagation").urn));
    });

    it("creates the lake's file systems one at a time, with soft delete and the lifecycle policy from config", () => {
      const containers = ofType(mine, T.container);
      assert.deepEqual(
        containers.map((c) => c.inputs.containerName),
        ["raw", "staging", "curated", "synapse", "vulnerability-assessment"],
      );
      for (const c of containers) assert.equal(c.inputs.publicAccess, "None");
      // Every operation on the account waits for every earlier one, so deletes (which Pulumi orders on direct
      // dependencies only) go one at a time too.
      assertChainedPairwise([
        ...containers,
        byName(mine, "olap-lake-lifecycle"),
        byName(mine, "olap-lake-blob-pep"),
        byName(mine, "olap-lake-dfs-pep"),
      ]);
      const blob = byName(mine, "olap-lake-blob");
      const days = config.olap.lake.softDeleteDays;
      assert.equal(days, prod ? 30 : 7);
      assert.deepEqual(blob.inputs.deleteRetentionPolicy, { enabled: true, days, allowPermanentDelete: false });
      assert.deepEqual(blob.inputs.containerDeleteRetentionPolicy, { enabled: true, days });
      const policy = byName(mine, "olap-lake-lifecycle");
      assert.deepEqual(input(policy, "policy.rules"), lifecycleRules(config.olap.lake));
      assert.ok(policy.dependencies.includes(containers[containers.length - 1].urn));
    });

    it("gives the lake blob and dfs private endpoints in their zones, and diagnostics on the blob service", () => {
      for (const [group, zone] of [
        ["blob", "platform-dns-blob-core-windows-net"],
        ["dfs", "platform-dns-dfs-core-windows-net"],
      ] as const) {
        const pe = peFor(account, group);
        const dns = ofType(mine, T.zoneGroup).find(
          (g) => g.inputs.privateEndpointName === pe.inputs.privateEndpointName,
        );
        assert.deepEqual(
          (dns?.inputs.privateDnsZoneConfigs as { privateDnsZoneId: string }[]).map((c) => c.privateDnsZoneId),
          [idOf(byName(resources, zone))],
        );
      }
      const diag = ofType(mine, T.diag).filter((d) => d.inputs.resourceUri === `${idOf(account)}/blobServices/default`);
      assert.equal(diag.length, 1);
      assert.equal(diag[0].inputs.workspaceId, idOf(byName(resources, "platform-log")));
      assert.deepEqual(diag[0].inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("creates the workspace in a managed VNet with exfiltration protection, no public access, Entra-only", () => {
      const i = workspace.inputs;
      assert.match(String(i.workspaceName), new RegExp(`^synw-pay-${stack}-weu-[a-z0-9]{4}$`));
      assert.equal(i.managedVirtualNetwork, "default");
      assert.deepEqual(i.managedVirtualNetworkSettings, {
        preventDataExfiltration: true,
        allowedAadTenantIdsForLinking: [],
      });
      assert.equal(i.publicNetworkAccess, "Disabled");
      assert.equal(i.azureADOnlyAuthentication, true);
      assert.equal(i.trustedServiceBypassEnabled, false);
      assert.equal(i.sqlAdministratorLogin, undefined);
      assert.equal(i.sqlAdministratorLoginPassword, undefined);
      assert.equal(i.managedResourceGroupName, `rg-pay-${stack}-weu-synapse-managed`);
      // Azure sets the creator as SQL admin when it creates the workspace: an ARM deployment replaces it (a typed
      // WorkspaceSqlAadAdmin would be refused by azure-native as already existing).
      assert.equal(ofType(mine, T.admin).length, 0);
      const admin = byName(mine, "olap-sql-admin");
      assert.equal(admin.type, T.deployment);
      assert.deepEqual(input(admin, "properties.template"), sqlAdminTemplate());
      assert.deepEqual(input(admin, "properties.parameters"), {
        workspaceName: { value: workspace.outputs.name },
        login: { value: `grp-pay-${stack}-database-admins` },
        sid: { value: (outputs.entraGroupObjectIds as Record<string, string>).databaseAdmins },
        tenantId: { value: TENANT_ID },
      });
      const entry = (sqlAdminTemplate().resources as { type: string; name: string; properties: object }[])[0];
      assert.equal(entry.type, "Microsoft.Synapse/workspaces/sqlAdministrators");
      assert.equal(entry.name, "[concat(parameters('workspaceName'), '/activeDirectory')]");
      assert.deepEqual(entry.properties, {
        administratorType: "ActiveDirectory",
        login: "[parameters('login')]",
        sid: "[parameters('sid')]",
        tenantId: "[parameters('tenantId')]",
      });
    });

    it("encrypts the workspace with the synapse key through its own identity, granted on the key, then activates it", () => {
      // A user-assigned identity cannot reach a key behind the vault's firewall (workspaces-encryption.md): the
      // platform makes no identity for this key, and the workspace uses its system-assigned one.
      assert.equal(resources.filter((r) => r.name === "platform-cmk-synapse-id").length, 0);
      const key = byName(resources, "platform-cmk-synapse-key");
      assert.deepEqual(workspace.inputs.identity, { type: "SystemAssigned" });
      assert.deepEqual(input(workspace, "encryption.cmk"), {
        key: { name: "cmk-synapse", keyVaultUrl: key.outputs.keyUri },
        kekIdentity: { useSystemAssignedIdentity: true },
      });
      const grant = byName(mine, "olap-workspace-cmk-ra-crypto-user");
      assert.equal(grant.inputs.scope, key.id);
      assert.equal(grant.inputs.principalId, (workspace.outputs.identity as { principalId: string }).principalId);
      assert.match(String(grant.inputs.roleDefinitionId), new RegExp(BuiltInRoles.KeyVaultCryptoServiceEncryptionUser));
      const wait = byName(mine, "olap-workspace-cmk-propagation");
      assert.deepEqual([wait.inputs.createDuration, wait.inputs.triggers], ["10m", { grant: grant.id }]);
      // Activated by an ARM deployment (azure-native refuses to create the key object the workspace already has).
      assert.equal(ofType(mine, "azure-native:synapse:Key").length, 0);
      const activation = byName(mine, "olap-workspace-key");
      const template = input(activation, "properties.template") as { resources: Record<string, unknown>[] };
      assert.deepEqual(template.resources, [
        {
          type: "Microsoft.Synapse/workspaces/keys",
          apiVersion: "2021-06-01",
          name: "[concat(parameters('workspaceName'), '/cmk-synapse')]",
          properties: { isActiveCMK: true, keyVaultUrl: "[parameters('keyVaultUrl')]" },
        },
      ]);
      assert.deepEqual(input(activation, "properties.parameters"), {
        workspaceName: { value: workspace.outputs.name },
        keyVaultUrl: { value: key.outputs.keyUri },
      });
      assert.ok(activation.dependencies.includes(wait.urn));
      // Nothing else touches the workspace (the pool above all) before it is active: the keys PUT returns before the
      // workspace has activated, so its next operation waits a settling time after the deployment.
      const activated = byName(mine, "olap-workspace-key-activated");
      assert.deepEqual(
        [activated.inputs.createDuration, activated.inputs.triggers],
        ["5m", { activation: activation.id }],
      );
      assert.ok(activated.dependencies.includes(activation.urn));
      assert.ok(byName(mine, "olap-sql-admin").dependencies.includes(activated.urn));
    });

    it("uses the lake's synapse file system as default storage through a managed private endpoint", () => {
      assert.deepEqual(workspace.inputs.defaultDataLakeStorage, {
        accountUrl: `https://${String(account.inputs.accountName)}.dfs.core.windows.net/`,
        filesystem: "synapse",
        resourceId: idOf(account),
        createManagedPrivateEndpoint: true,
      });
      const synapseFs = byName(mine, "olap-fs-synapse");
      assert.ok(workspace.dependencies.includes(synapseFs.urn));
      // The lake's operations run one at a time and finish before the workspace adds its managed endpoint.
      const lakeChain = ["olap-lake-lifecycle", "olap-lake-blob-pep", "olap-lake-dfs-pep", "olap-workspace"];
      for (let i = 1; i < lakeChain.length; i++) {
        const [previous, next] = [byName(mine, lakeChain[i - 1]), byName(mine, lakeChain[i])];
        assert.ok(next.dependencies.includes(previous.urn), `${next.name} waits for ${previous.name}`);
      }
    });

    it("gives the workspace Sql, SqlOnDemand and Dev endpoints and Studio a private link hub (Web), each in its zone", () => {
      const hub = byName(mine, "olap-plhub");
      assert.match(String(hub.inputs.privateLinkHubName), new RegExp(`^synplhpay${stack}weu[a-z0-9]{4}$`));
      for (const [target, group, zone] of [
        [workspace, "Sql", "privatelink.sql.azuresynapse.net"],
        [workspace, "SqlOnDemand", "privatelink.sql.azuresynapse.net"],
        [workspace, "Dev", "privatelink.dev.azuresynapse.net"],
        [hub, "Web", "privatelink.azuresynapse.net"],
      ] as const) {
        const pe = peFor(target, group);
        assert.equal(input(pe, "subnet.id"), (outputs.subnetIds as Record<string, string>).privateEndpoints);
        const dns = ofType(mine, T.zoneGroup).find(
          (g) => g.inputs.privateEndpointName === pe.inputs.privateEndpointName,
        );
        const zoneRecord = resources.find(
          (r) => r.type === "azure-native:privatedns:PrivateZone" && r.inputs.privateZoneName === zone,
        );
        assert.ok(zoneRecord, zone);
        assert.deepEqual(
          (dns?.inputs.privateDnsZoneConfigs as { privateDnsZoneId: string }[]).map((c) => c.privateDnsZoneId),
          [idOf(zoneRecord)],
        );
      }
    });

    it(`sizes the dedicated pool for ${prod ? "prod (DW500c, geo-backups)" : "dev (DW100c, no geo-backups)"} with TDE on`, () => {
      assert.deepEqual(pool.inputs.sku, { name: prod ? "DW500c" : "DW100c" });
      assert.equal(pool.inputs.storageAccountType, prod ? "GRS" : "LRS");
      // Azure fixes backup storage and collation at creation: a change is a new pool (the old one first).
      assert.deepEqual(pool.replaceOnChanges, ["storageAccountType", "collation"]);
      assert.equal(pool.deleteBeforeReplace, true);
      assert.equal(pool.inputs.sqlPoolName, `syndppay${stack}weu`);
      assert.equal(pool.inputs.workspaceName, workspace.inputs.workspaceName);
      assert.equal(pool.inputs.collation, "SQL_Latin1_General_CP1_CI_AS");
      const tde = ofType(mine, T.tde);
      assert.equal(tde.length, 1);
      assert.deepEqual([tde[0].inputs.sqlPoolName, tde[0].inputs.status], [pool.inputs.sqlPoolName, "Enabled"]);
    });

    it("serialises the workspace's operations: activation → admin → SQL security → endpoints → pool → TDE → workload groups", () => {
      const chain = [
        "olap-workspace-key",
        "olap-workspace-key-activated",
        "olap-sql-admin",
        "olap-sql-security",
        "olap-workspace-sql-pep",
        "olap-workspace-sqlondemand-pep",
        "olap-workspace-dev-pep",
        "olap-pool",
        "olap-pool-tde",
        "olap-wg-etl",
        "olap-wg-bi",
        "olap-wc-bi",
        "olap-wc-etl-dbo",
        "olap-wc-stream-load",
        "olap-wc-etl",
        "olap-wc-stream-loader",
      ];
      for (let i = 1; i < chain.length; i++) {
        const [previous, next] = [byName(mine, chain[i - 1]), byName(mine, chain[i])];
        assert.ok(next.dependencies.includes(previous.urn), `${next.name} waits for ${previous.name}`);
      }
      // The workspace's endpoints and the pool's workload operations wait for every earlier one of their chain
      // (deletes, ordered on direct dependencies only, go one at a time too).
      assertChainedPairwise(chain.slice(4, 8).map((n) => byName(mine, n)));
      assertChainedPairwise(chain.slice(9).map((n) => byName(mine, n)));
      assert.ok(
        byName(mine, "olap-sql-security").dependencies.includes(
          byName(mine, "olap-workspace-lake-ra-synapse-blob-contributor").urn,
        ),
      );
    });

    it("sizes both workload groups and classifies the analysts (the ETL tier classifies its own identity)", () => {
      const wi = config.olap.workloadIsolation;
      const etl = byName(mine, "olap-wg-etl").inputs;
      const bi = byName(mine, "olap-wg-bi").inputs;
      assert.deepEqual(
        [etl.minResourcePercent, etl.maxResourcePercent, etl.minResourcePercentPerRequest, etl.importance],
        [wi.etl.minPercent, wi.etl.capPercent, wi.etl.requestMinPercent, "normal"],
      );
      assert.deepEqual(
        [bi.minResourcePercent, bi.importance, bi.queryExecutionTimeout],
        [wi.bi.minPercent, "high", 300],
      );
      // The ETL identity is the ETL tier's: it classifies it through olap.classifyEtlIdentity, never a guessed name.
      assert.equal(
        byName(mine, "olap-wc-etl").inputs.memberName,
        (outputs.etlIdentity as { databaseUserName: string }).databaseUserName,
      );
      assert.equal(byName(mine, "olap-wc-bi").inputs.memberName, `grp-pay-${stack}-analysts`);
      assert.equal(byName(mine, "olap-wc-bi").inputs.workloadGroupName, "wg_bi");
    });

    it("classifies dbo into the ETL group (Microsoft: a managed identity runs as dbo in a workspace pool) and the streaming loader's session into BI, both ways", () => {
      const classifier = (n: string) => {
        const i = byName(mine, n).inputs;
        return [i.workloadGroupName, i.workloadClassifierName, i.memberName, i.context, i.label, i.importance];
      };
      const wi = config.olap.workloadIsolation;
      // Where the Data Factory identity's loads run as dbo (one reading of Microsoft's note), without this one they
      // land in smallrc and the OLAP SLA counts them.
      assert.deepEqual(classifier("olap-wc-etl-dbo"), [
        "wg_etl",
        "wc_etl_dbo",
        "dbo",
        undefined,
        undefined,
        wi.etl.importance,
      ]);
      // dbo + the loader's session context outweighs dbo alone: its inserts never queue behind the nightly load's
      // copies. The context the loader sets (SESSION_CONTEXT_BATCH), never a label (only labelled requests would match).
      assert.deepEqual(classifier("olap-wc-stream-load"), [
        "wg_bi",
        "wc_stream_load",
        "dbo",
        "stream_load",
        undefined,
        wi.bi.importance,
      ]);
      assert.ok(SESSION_CONTEXT_BATCH.includes("@key = N'wlm_context', @value = N'stream_load'"));
      // Where the loader keeps its own name instead, its user is classified into BI too (every request of it is an insert).
      assert.deepEqual(classifier("olap-wc-stream-loader"), [
        "wg_bi",
        "wc_stream_loader",
        (outputs.streamingPath as { relayIdentity: { databaseUserName: string } }).relayIdentity.databaseUserName,
        undefined,
        undefined,
        wi.bi.importance,
      ]);
    });

    it("deploys auditing, threat detection and VA for the workspace, scans into the lake without keys", () => {
      const d = byName(mine, "olap-sql-security");
      assert.equal(input(d, "properties.mode"), "Incremental");
      assert.deepEqual(input(d, "properties.template"), sqlSecurityTemplate());
      assert.deepEqual(input(d, "properties.parameters"), {
        workspaceName: { value: workspace.inputs.workspaceName },
        alertEmails: { value: config.alertEmails },
        scanResultsPath: {
          value: `https://${String(account.inputs.accountName)}.blob.core.windows.net/vulnerability-assessment/`,
        },
      });
    });

    it("sends the workspace's and the pool's request, wait, DMS and security audit logs to Log Analytics", () => {
      const workspaceId = idOf(byName(resources, "platform-log"));
      for (const [target, categories] of [
        [workspace, WORKSPACE_LOG_CATEGORIES],
        [pool, POOL_LOG_CATEGORIES],
      ] as const) {
        const d = ofType(mine, T.diag).filter((x) => x.inputs.resourceUri === idOf(target));
        assert.equal(d.length, 1, target.name);
        assert.equal(d[0].inputs.workspaceId, workspaceId);
        assert.deepEqual(
          d[0].inputs.logs,
          categories.map((category) => ({ category, enabled: true })),
        );
        assert.equal(d[0].inputs.logAnalyticsDestinationType, "Dedicated");
      }
      for (const c of ["SqlRequests", "Waits", "DmsWorkers", "SQLSecurityAuditEvents"]) {
        assert.ok((POOL_LOG_CATEGORIES as readonly string[]).includes(c), c);
      }
    });

    it("grants by RBAC: workspace identity writes the lake, data engineers read its data and see the workspace", () => {
      const ras = ofType(mine, T.ra);
      const on = (scope: ResourceRecord, role: string) =>
        ras.filter((r) => r.inputs.scope === idOf(scope) && String(r.inputs.roleDefinitionId).endsWith(role));
      const engineers = (outputs.entraGroupObjectIds as Record<string, string>).dataEngineers;
      // Only the workspace identity writes the whole lake; the ETL identity (olap.grantLakeAccess from index.ts)
      // writes the raw file system alone.
      const synapseWrite = on(account, ROLE.blobContributor);
      assert.equal(synapseWrite.length, 1);
      assert.deepEqual(
        on(byName(resources, "olap-fs-raw"), ROLE.blobContributor).map((r) => r.inputs.principalId),
        [(outputs.etlIdentity as { principalId: string }).principalId],
      );
      assert.equal(
        synapseWrite[0].inputs.principalId,
        (workspace.outputs.identity as { principalId: string }).principalId,
      );
      assert.equal(synapseWrite[0].inputs.principalType, "ServicePrincipal");
      // Data engineers read the data file systems, each on its own: not the account (the workspace's file system and
      // the vulnerability assessment's scan results are not theirs to read).
      assert.deepEqual(on(account, ROLE.blobReader), []);
      for (const fs of ["raw", "staging", "curated"])
        assert.deepEqual(
          on(byName(resources, `olap-fs-${fs}`), ROLE.blobReader).map((r) => r.inputs.principalId),
          [engineers],
          fs,
        );
      for (const fs of ["synapse", "vulnerability-assessment"])
        assert.deepEqual(on(byName(resources, `olap-fs-${fs}`), ROLE.blobReader), [], fs);
      assert.deepEqual(
        on(workspace, ROLE.reader).map((r) => r.inputs.principalId),
        [engineers],
      );
    });

    it(`exposes a least-privilege pause/resume role${prod ? "" : ", granted to data engineers on the pool (dev pauses)"}`, () => {
      const role = byName(mine, "olap-pool-operator-role");
      assert.deepEqual(input(role, "permissions.0.actions"), [...POOL_OPERATOR_ACTIONS]);
      // Spelled out (an action added to the constant would pass otherwise): read, pause, resume and their operation
      // results; never sqlPools/write (scale, settings) or delete.
      assert.deepEqual(
        [...POOL_OPERATOR_ACTIONS],
        [
          "Microsoft.Synapse/workspaces/sqlPools/read",
          "Microsoft.Synapse/workspaces/sqlPools/pause/action",
          "Microsoft.Synapse/workspaces/sqlPools/resume/action",
          "Microsoft.Synapse/workspaces/sqlPools/operationResults/read",
        ],
      );
      assert.deepEqual(input(role, "permissions.0.dataActions") ?? [], []);
      assert.equal(input(role, "roleType"), "CustomRole");
      const scope = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-${stack}-weu-data`;
      assert.deepEqual(role.inputs.assignableScopes, [scope]);
      const roleId = `/subscriptions/00000000-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${String(role.inputs.roleDefinitionId)}`;
      assert.match(String(role.inputs.roleDefinitionId), /^[0-9a-f-]{36}$/);
      assert.equal(outputs.synapsePoolOperatorRoleDefinitionId, roleId);
      // Data engineers and, where the pool pauses, the ETL identity that runs the pause/resume pipelines (index.ts).
      const grants = ofType(mine, T.ra).filter((r) => r.inputs.scope === idOf(pool));
      assert.deepEqual(
        grants.map((g) => g.name),
        prod ? [] : ["olap-pool-ra-data-engineers-pool-operator", "olap-pool-ra-adf-etl-pool-operator"],
      );
      if (!prod) {
        assert.equal(grants[0].inputs.roleDefinitionId, roleId);
        assert.ok(grants[0].dependencies.includes(role.urn), "assigned after the role exists");
        // …and after it has replicated (role definitions are eventually consistent).
        const settled = byName(mine, "olap-pool-operator-role-propagation");
        assert.equal(settled.inputs.createDuration, "5m");
        for (const g of grants) assert.ok(g.dependencies.includes(settled.urn), `${g.name} waits for replication`);
      }
      assert.deepEqual(outputs.synapsePauseSchedule, prod ? null : config.olap.pauseSchedule);
    });

    it(
      prod ? "protects and locks the lake, the workspace and the pool" : "neither protects nor locks anything in dev",
      () => {
        const locks = ofType(mine, T.lock);
        for (const r of [account, workspace, pool]) {
          assert.equal(r.protect, prod, `${r.name} protect`);
          const lock = locks.filter((l) => l.inputs.scope === idOf(r));
          assert.equal(lock.length, prod ? 1 : 0, r.name);
          if (prod) assert.equal(lock[0].inputs.level, "CanNotDelete");
        }
        assert.equal(locks.length, prod ? 3 : 0);
      },
    );

    it("tags the tier confidential, PCI connected, component olap", () => {
      for (const r of [account, workspace, pool, byName(mine, "olap-plhub")]) {
        const tags = r.inputs.tags as Record<string, string>;
        assert.deepEqual(
          [tags["data-classification"], tags["pci-scope"], tags.component],
          ["confidential", "connected", "olap"],
        );
      }
    });

    it("exports what the ETL tier needs", () => {
      assert.equal(outputs.lakeAccountId, idOf(account));
      assert.equal(outputs.lakeDfsEndpoint, `https://${String(account.inputs.accountName)}.dfs.core.windows.net/`);
      assert.deepEqual(outputs.lakeFileSystems, { ...FILE_SYSTEMS });
      assert.equal(outputs.synapseWorkspaceId, idOf(workspace));
      // The principal to grant Directory Readers (docs/operations.md): the workspace's system identity.
      assert.equal(
        outputs.synapseWorkspacePrincipalId,
        (workspace.outputs.identity as { principalId: string }).principalId,
      );
      assert.equal(outputs.synapseSqlPoolId, idOf(pool));
      assert.equal(outputs.synapseSqlPoolName, pool.inputs.sqlPoolName);
      assert.deepEqual(outputs.synapseSqlEndpoints, {
        dedicated: `${String(workspace.inputs.workspaceName)}.sql.azuresynapse.net`,
        serverless: `${String(workspace.inputs.workspaceName)}-ondemand.sql.azuresynapse.net`,
      });
    });

    it("raises no mandatory policy violation on an OLAP resource, and the new rules evaluate it", () => {
      const urns = new Set(mine.map((r) => r.urn));
      assert.deepEqual(
        preview.verdict.violations.filter(
          (v) => v.urn !== undefined && urns.has(v.urn) && v.enforcementLevel === "mandatory",
        ),
        [],
      );
      const evaluated = preview.verdict.evaluated;
      for (const rule of [
        "azure-native-synapse-workspace-require-sql-auditing",
        "azure-native-synapse-workspace-require-threat-detection",
        "azure-native-synapse-workspace-require-vulnerability-assessment",
        "azure-native-synapse-workspace-enable-data-exfiltration-protection",
        "azure-native-synapse-sqlpool-require-transparent-data-encryption",
        "azure-native-storage-storageaccount-require-customer-managed-key-for-data-lake",
        ...(prod ? ["azure-native-synapse-sqlpool-require-geo-backup"] : []),
      ]) {
        assert.ok((evaluated[rule] ?? 0) > 0, `${rule} was evaluated, not skipped`);
      }
    });
  });
}

describe("olap (hooks the ETL tier calls)", () => {
  let mine: ResourceRecord[];
  let violations: PreviewResult["verdict"]["violations"];
  before(async () => {
    // One program run at a time (the mock engine is process-global): after the cached stack previews.
    await previewOf("dev");
    await previewOf("prod");
    const result = await previewStack({
      stack: "dev",
      program: path.resolve(__dirname, "fixtures/olap-hooks/index.ts"),
    });
    mine = result.run.resources.filter((r) => r.name.startsWith("olap"));
    violations = result.verdict.violations;
  });

  it("classifies the ETL identity into wg_etl after every other pool operation", () => {
    const wc = byName(mine, "olap-wc-etl");
    assert.deepEqual(
      [wc.inputs.workloadGroupName, wc.inputs.workloadClassifierName, wc.inputs.memberName, wc.inputs.label],
      // No label: a classifier with a member and a label matches only that member's labelled requests.
      ["wg_etl", "wc_etl", "adf-pay-dev-weu-test", undefined],
    );
    assertChainedPairwise(
      ["olap-wg-etl", "olap-wg-bi", "olap-wc-bi", "olap-wc-etl-dbo", "olap-wc-stream-load", "olap-wc-etl"].map((n) =>
        byName(mine, n),
      ),
    );
  });

  it("grants the ETL identity Storage Blob Data Contributor on the lake and the pool-operator role on the pool", () => {
    const lake = byName(mine, "olap-lake");
    const pool = byName(mine, "olap-pool");
    const ra = ofType(mine, "azure-native:authorization:RoleAssignment").filter(
      (r) => r.inputs.principalId === "22222222-3333-4444-8555-666666666666",
    );
    assert.deepEqual(
      ra.map((r) => [r.name, r.inputs.scope, String(r.inputs.roleDefinitionId).split("/").pop()]),
      [
        ["olap-lake-ra-adf-blob-contributor", lake.outputs.id, ROLE.blobContributor],
        [
          "olap-pool-ra-adf-pool-operator",
          pool.outputs.id,
          byName(mine, "olap-pool-operator-role").inputs.roleDefinitionId,
        ],
      ],
    );
    assert.deepEqual(
      violations.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
  });
});

describe("olap: a pool created from a geo-backup (olap.pool.recoverFrom, the secondary region's stack)", function () {
  this.timeout(120_000);
  const SOURCE =
    "/subscriptions/0000/resourceGroups/rg-pay-prod-weu-data/providers/Microsoft.Synapse/workspaces/synw-pay-prod-weu/sqlPools/syndppayprodweu";
  let result: PreviewResult;
  let pool: ResourceRecord;
  before(async () => {
    result = await previewEdited("dev", (config) => {
      (config[`${PROJECT}:olap`] as { pool: Record<string, unknown> }).pool.recoverFrom = SOURCE;
    });
    pool = byName(result.run.resources, "olap-pool");
  });
  it("creates the pool in Recovery mode from the source's geo-backup, without an empty pool's collation", () => {
    assert.equal(pool.inputs.createMode, "Recovery");
    assert.equal(
      pool.inputs.recoverableDatabaseId,
      "/subscriptions/0000/resourceGroups/rg-pay-prod-weu-data/providers/Microsoft.Sql/servers/synw-pay-prod-weu/recoverabledatabases/syndppayprodweu",
    );
    // The SDK sends its schema default, "" (sqlPool.js), as for any pool created without one.
    assert.equal(pool.inputs.collation, "");
    assert.equal(pool.inputs.sqlPoolName, "syndppaydevweu");
  });
  it("never diffs the creation-only inputs afterwards, and keeps the pool's place in the workspace's order", async () => {
    assert.deepEqual(pool.ignoreChanges, ["createMode", "recoverableDatabaseId", "collation"]);
    const plain = byName((await previewOf("dev")).run.resources, "olap-pool");
    assert.deepEqual(plain.ignoreChanges ?? [], []);
    assert.deepEqual(pool.dependencies, plain.dependencies);
  });
  it("passes the ARM schema check and the policy pack", () => {
    assert.deepEqual(result.schema?.errors ?? [], []);
    assert.deepEqual(
      result.verdict.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.message),
      [],
    );
  });
});
