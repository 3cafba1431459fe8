import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkDefinitions,
  checkGlobalParameterValue,
  cosmosKeysOf,
  convertDataset,
  factoryCreationOnlyConflicts,
  convertPipeline,
  convertTrigger,
  ETL_COSMOS_CONTAINERS,
  integrationRuntimeProperties,
  linkedServiceProperties,
  hostOf,
  MANAGED_ENDPOINTS,
  managedEndpointPrivateEndpointName,
  outboundDomains,
  referencesOf,
  validateEtlArgs,
  addMinutes,
  offHoursProblems,
  silencedRecurrences,
  type EtlArgs,
} from "../components/etl";
import {
  ADF_CREDENTIAL,
  ADF_DEPLOYMENT_LINKED_SERVICES,
  ADF_INTEGRATION_RUNTIME,
  ADF_LINKED_SERVICES,
  type AdfDefinitions,
} from "../pipelines/etl/contract";
import { generateAdfDefinitions, MASTER_PIPELINE } from "../pipelines/etl";
import { COPY_SETTINGS } from "../pipelines/etl/extract";
import { extractedTables } from "../pipelines/etl/groups";
import { dataModel } from "../pipelines/model";
import { SECRET_KEYS } from "../policies/rules/datafactory";
import { parseConfig, PROJECT, readRaw } from "../lib/config";
import { TTL_REQUIRED_CONTAINERS } from "../lib/config/data";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { previewStack, type PreviewResult } from "../tools/lib/preview";
import { loadStackConfig } from "../tools/lib/stackConfig";
import { FIXTURE } from "./fixtures/etl/definitions";
import { assertChainedPairwise, byName, configOf, input, ofType, previewOf } from "./helpers/stacks";
import { tempDir } from "./helpers/tmp";

const T = {
  factory: "azure-native:datafactory:Factory",
  ir: "azure-native:datafactory:IntegrationRuntime",
  mpe: "azure-native:datafactory:ManagedPrivateEndpoint",
  ls: "azure-native:datafactory:LinkedService",
  credential: "azure-native:datafactory:CredentialOperation",
  pipeline: "azure-native:datafactory:Pipeline",
  dataset: "azure-native:datafactory:Dataset",
  trigger: "azure-native:datafactory:Trigger",
  globals: "azure-native:datafactory:GlobalParameter",
  generic: "azure-native:resources:Resource",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  pe: "azure-native:network:PrivateEndpoint",
  diag: "azure-native:monitor:DiagnosticSetting",
  lock: "azure-native:authorization:ManagementLockByScope",
  ra: "azure-native:authorization:RoleAssignment",
  cosmosRa: "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
  wc: "azure-native:synapse:SqlPoolWorkloadClassifier",
} as const;

const PROVIDED = {
  linkedServices: [...Object.values(ADF_LINKED_SERVICES), ...Object.values(ADF_DEPLOYMENT_LINKED_SERVICES)],
  integrationRuntimes: [ADF_INTEGRATION_RUNTIME],
};
const clone = (): AdfDefinitions => structuredClone(FIXTURE) as AdfDefinitions;
type Json = Record<string, unknown>;
/** The converted values are plain JSON (no Outputs): read them as such. */
const plain = (v: unknown): Json => v as Json;
const at = (v: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<string | number, unknown>)[k] : undefined),
    v,
  );

describe("etl (definitions: REST shape → azure-native)", () => {
  const master = FIXTURE.pipelines.find((p) => p.name === "pl_extract_payment")!;

  it("flattens typeProperties into every activity, at every depth (IfCondition → ForEach → Copy, Until, Switch)", () => {
    const activities = plain(convertPipeline(master)).activities as Json[];
    const json = JSON.stringify(activities);
    assert.doesNotMatch(json, /typeProperties/, "no typeProperties left anywhere");
    const ifc = activities[0];
    assert.deepEqual(ifc.expression, { value: "@equals(1, 1)", type: "Expression" });
    const forEach = at(ifc, "ifTrueActivities", 0) as Json;
    assert.deepEqual([forEach.type, forEach.isSequential, forEach.batchCount], ["ForEach", false, 4]);
    const copy = at(forEach, "activities", 0) as Json;
    assert.deepEqual(
      [copy.type, at(copy, "source", "type"), at(copy, "sink", "type"), copy.parallelCopies],
      ["Copy", "AzureSqlSource", "ParquetSink", 4],
    );
    // Members outside typeProperties stay where they were.
    assert.deepEqual(copy.policy, { retry: 2, retryIntervalInSeconds: 60, timeout: "0.01:00:00" });
    assert.equal(at(copy, "outputs", 0, "referenceName"), "ds_lake_parquet");
    assert.equal(at(ifc, "ifFalseActivities", 0, "waitTimeInSeconds"), 1);
    const until = activities[1];
    assert.deepEqual([until.timeout, at(until, "activities", 0, "waitTimeInSeconds")], ["0.00:10:00", 5]);
    assert.deepEqual(until.dependsOn, [{ activity: "if_changes", dependencyConditions: ["Succeeded"] }]);
    const sw = activities[2];
    assert.equal(at(sw, "cases", 0, "value"), "dev");
    assert.deepEqual(
      [at(sw, "cases", 0, "activities", 0, "message"), at(sw, "defaultActivities", 0, "type")],
      ["dev", "Wait"],
    );
    // Pipeline-level members are the PipelineArgs members.
    assert.deepEqual(convertPipeline(master).parameters, { runDate: { type: "String" } });
  });

  it("does not change its input (the committed JSON stays the REST shape)", () => {
    const before = JSON.stringify(FIXTURE);
    convertPipeline(master);
    FIXTURE.datasets.forEach(convertDataset);
    FIXTURE.triggers.forEach(convertTrigger);
    assert.equal(JSON.stringify(FIXTURE), before);
  });

  it("flattens datasets and triggers (location, recurrence) and keeps their outer members", () => {
    const ds = plain(convertDataset(FIXTURE.datasets[0]));
    assert.deepEqual(
      [ds.type, at(ds, "location", "type"), ds.compressionCodec, at(ds, "linkedServiceName", "referenceName")],
      ["Parquet", "AzureBlobFSLocation", "snappy", "ls_lake"],
    );
    assert.ok(!("typeProperties" in ds));
    const tr = plain(convertTrigger(FIXTURE.triggers[0]));
    assert.deepEqual(at(tr, "recurrence", "schedule"), { hours: [2], minutes: [0] });
    assert.equal(at(tr, "pipelines", 0, "pipelineReference", "referenceName"), "etl_oltp_to_olap");
  });

  it("refuses a typeProperties member that collides once flattened, naming it (a SQL table's schema name)", () => {
    const bad = {
      name: "ds_stg",
      properties: {
        type: "AzureSqlDWTable",
        linkedServiceName: { referenceName: "ls_synapse_pool", type: "LinkedServiceReference" },
        schema: [],
        typeProperties: { schema: "stg", table: "payment" },
      },
    };
    assert.throws(() => convertDataset(bad), /dataset ds_stg: typeProperties\.schema collides .*tableName/);
    const activity = {
      name: "p",
      properties: { activities: [{ name: "a", type: "Wait", policy: {}, typeProperties: { policy: 1 } }] },
    };
    assert.throws(() => convertPipeline(activity), /pipeline p\[0\]\(a\): typeProperties\.policy collides/);
    assert.throws(() => convertTrigger({ name: "t", properties: {} }), /trigger t: properties\.type is required/);
  });

  it("collects references and orders pipelines after those they execute", () => {
    const refs = referencesOf(FIXTURE.pipelines[0].properties);
    assert.deepEqual([...refs.datasets], ["ds_lake_parquet"]);
    const { pipelineOrder } = checkDefinitions({ ...FIXTURE, pipelines: [...FIXTURE.pipelines].reverse() }, PROVIDED);
    assert.deepEqual(pipelineOrder, ["pl_extract_payment", "etl_oltp_to_olap"]);
  });

  it("refuses a reference to a missing pipeline, dataset or linked service, a duplicate and a cycle", () => {
    const d = clone();
    (d.triggers[0].properties.pipelines as Json[])[0].pipelineReference = {
      referenceName: "nope",
      type: "PipelineReference",
    };
    (d.datasets[0].properties.linkedServiceName as Json).referenceName = "ls_secret_store";
    assert.throws(
      () => checkDefinitions(d, PROVIDED),
      /dataset ds_lake_parquet references linkedServices 'ls_secret_store'.*trigger tr_nightly references pipelines 'nope'/,
    );
    const dup = clone();
    (dup.datasets as unknown[]).push(dup.datasets[0]);
    assert.throws(() => checkDefinitions(dup, PROVIDED), /dataset ds_lake_parquet is defined twice/);
    const cycle = clone();
    (cycle.pipelines[0].properties.activities as Json[]).push({
      name: "back",
      type: "ExecutePipeline",
      typeProperties: { pipeline: { referenceName: "etl_oltp_to_olap", type: "PipelineReference" } },
    });
    assert.throws(
      () => checkDefinitions(cycle, PROVIDED),
      /in a cycle: .*etl_oltp_to_olap → pl_extract_payment → etl_oltp_to_olap|in a cycle: pl_extract_payment → etl_oltp_to_olap → pl_extract_payment/,
    );
  });

  it("refuses a pipeline over Data Factory's 200 KB per pipeline object, before any resource registers", () => {
    const big = clone();
    (big.pipelines[0].properties as Json).description = "x".repeat(200 * 1024);
    assert.throws(
      () => checkDefinitions(big, PROVIDED),
      /pipeline pl_extract_payment is \d+ bytes, over Data Factory's 204800 per pipeline/,
    );
  });

  it("checks each global parameter's value against its declared type", () => {
    assert.equal(checkGlobalParameterValue("a", "String", "x"), undefined);
    assert.equal(checkGlobalParameterValue("n", "Int", 4), undefined);
    assert.match(String(checkGlobalParameterValue("n", "Int", "4")), /'n' is declared Int but its value is "4"/);
    assert.match(String(checkGlobalParameterValue("b", "Bool", undefined)), /'b' \(Bool\) has no value/);
  });
});

describe("etl (settings and config)", () => {
  const dev = configOf("dev");
  const prod = configOf("prod");

  it("sizes the managed-VNet integration runtime from config, inside the factory's managed VNet", () => {
    const p = integrationRuntimeProperties(prod.etl.integrationRuntime);
    assert.deepEqual(p.managedVirtualNetwork, { type: "ManagedVirtualNetworkReference", referenceName: "default" });
    assert.deepEqual(p.computeProperties, {
      location: "AutoResolve",
      copyComputeScaleProperties: { dataIntegrationUnit: 64, timeToLive: 10 },
      pipelineExternalComputeScaleProperties: { timeToLive: 60, numberOfPipelineNodes: 2, numberOfExternalNodes: 1 },
    });
    assert.equal(dev.etl.integrationRuntime.copyDataIntegrationUnits, 8);
  });

  it("prod's warm copy compute runs every extract of the model at once (a table added to the extraction needs more DIUs)", () => {
    // The nightly run starts every extract together (etl_nightly_run), each Copy reserving COPY_SETTINGS' DIUs:
    // below their sum, the last ones queue ("Selecting few DIUs to run many activities will cause many activities to
    // be pending in the queue", docs/etl.md) and the night's window grows.
    const needed = extractedTables(dataModel).length * COPY_SETTINGS.dataIntegrationUnits;
    assert.ok(
      prod.etl.integrationRuntime.copyDataIntegrationUnits >= needed,
      `etl.integrationRuntime.copyDataIntegrationUnits ${prod.etl.integrationRuntime.copyDataIntegrationUnits} < ${needed} (${extractedTables(dataModel).length} extracts × ${COPY_SETTINGS.dataIntegrationUnits} DIUs): raise it in Pulumi.prod.yaml`,
    );
  });

  it("lists the stores' host names and Resource Manager for the outbound allow-list, full names only", () => {
    assert.deepEqual(
      outboundDomains(
        {
          oltp: "fog-pay-prod-weu-ab12.database.windows.net",
          warehouse: "synw-pay-prod-weu-ab12.sql.azuresynapse.net",
          lake: "https://stpayprodweulakeab12.dfs.core.windows.net/",
          cosmos: "https://cosmos-pay-prod-weu-ab12.documents.azure.com:443/",
        },
        ["westeurope", "northeurope"],
      ),
      [
        "cosmos-pay-prod-weu-ab12-northeurope.documents.azure.com",
        "cosmos-pay-prod-weu-ab12-westeurope.documents.azure.com",
        "cosmos-pay-prod-weu-ab12.documents.azure.com",
        "fog-pay-prod-weu-ab12.database.windows.net",
        "management.azure.com",
        "stpayprodweulakeab12.blob.core.windows.net",
        "stpayprodweulakeab12.dfs.core.windows.net",
        "synw-pay-prod-weu-ab12.sql.azuresynapse.net",
      ],
    );
    // The servers behind a failover group listener too (a connection may reach them after it).
    assert.deepEqual(
      outboundDomains(
        {
          oltp: "fog.database.windows.net",
          warehouse: "w.sql.azuresynapse.net",
          lake: "https://l.dfs.core.windows.net/",
          cosmos: "https://c.documents.azure.com:443/",
        },
        [],
        ["sql-a.database.windows.net", "SQL-B.database.windows.net"],
      ).filter((d) => d.endsWith(".database.windows.net")),
      ["fog.database.windows.net", "sql-a.database.windows.net", "sql-b.database.windows.net"],
    );
    assert.equal(hostOf("HTTPS://Host.Example.com:443/x"), "host.example.com");
    assert.equal(hostOf("Server.Database.Windows.Net"), "server.database.windows.net");
    assert.equal(dev.etl.outboundAllowList, true, "tried in dev first");
    assert.equal(prod.etl.outboundAllowList, false, "prod once dev's trial passed (docs/etl.md)");
  });

  it("encrypts the factory with its key unless etl.customerManagedKey is false, a creation-only setting", () => {
    assert.equal(dev.etl.customerManagedKey, true);
    assert.equal(prod.etl.customerManagedKey, true);
    assert.deepEqual(factoryCreationOnlyConflicts({ encryption: { keyName: "cmk-data-factory" } }, true), []);
    assert.deepEqual(factoryCreationOnlyConflicts({}, false), []);
    const [removed] = factoryCreationOnlyConflicts({ encryption: { keyName: "cmk-data-factory" } }, false);
    assert.deepEqual([removed.key, removed.deployed, removed.wanted], ["etl.customerManagedKey", "true", "false"]);
    assert.match(removed.remedy, /A factory keeps the key it was created with; set it back to true/);
    const [added] = factoryCreationOnlyConflicts({ encryption: {} }, true);
    assert.deepEqual([added.deployed, added.wanted], ["false", "true"]);
    assert.match(added.remedy, /A key can be added only to an empty factory without a managed virtual network/);
  });

  it("the fallback (etl.customerManagedKey: false): no key and no key identity on the factory, and the pack's mandatory rule says so", async function () {
    this.timeout(60_000);
    const file = path.join(tempDir("etl-no-cmk-"), "Pulumi.dev.yaml");
    const stackFile = fs.readFileSync(path.resolve(__dirname, "../Pulumi.dev.yaml"), "utf8");
    assert.match(stackFile, /^ {2}payments-data-platform:etl:\n/m);
    fs.writeFileSync(
      file,
      stackFile.replace(
        /^ {2}payments-data-platform:etl:\n/m,
        "  payments-data-platform:etl:\n    customerManagedKey: false\n",
      ),
    );
    const { run, verdict } = await previewStack({ stack: "dev", stackFile: file, skipSchema: true });
    const factory = byName(run.resources, "etl-factory");
    assert.equal(input(factory, "encryption"), undefined);
    const cmkId = String(byName(run.resources, "platform-cmk-data-factory-id").outputs.id);
    assert.ok(!Object.keys(input(factory, "identity.userAssignedIdentities") as Json).includes(cmkId));
    // Nothing waits for the unused key's grant, and the stack's key inventory (PCI DSS 3.6.1) leaves it out.
    assert.ok(!factory.dependencies.includes(byName(run.resources, "platform-cmk-data-factory-grant-propagation").urn));
    const uris = run.stackOutputs.customerManagedKeyUris as Record<string, unknown>;
    assert.ok(!("dataFactory" in uris) && "sql" in uris, Object.keys(uris).join(", "));
    // Not silently accepted: the pack's mandatory customer-managed key rule fails until a dated exemption says why.
    const cmkRule = verdict.violations.filter(
      (v) => v.policy === "azure-native-datafactory-factory-require-customer-managed-key",
    );
    assert.equal(cmkRule.length, 1);
    assert.equal(cmkRule[0].enforcementLevel, "mandatory");
  });

  it("refuses a DIU count Data Factory does not reserve, naming the key", () => {
    const sc = loadStackConfig(path.resolve(__dirname, ".."), "dev");
    const raw = readRaw((key) => sc.config[`${PROJECT}:${key}`]);
    (
      raw.etl as { integrationRuntime: { copyDataIntegrationUnits: number } }
    ).integrationRuntime.copyDataIntegrationUnits = 6;
    assert.throws(
      () => parseConfig(raw, "dev"),
      /config payments-data-platform:etl \(integrationRuntime\.copyDataIntegrationUnits\): got 6; must be a multiple of 4/,
    );
  });

  it("builds four identity-only linked services on the managed IR, none carrying a secret", () => {
    const ls = linkedServiceProperties({
      oltp: { server: "s", database: "d" },
      warehouse: { server: "w", database: "p" },
      lake: { url: "https://l.dfs.core.windows.net/" },
      cosmos: { accountEndpoint: "https://c.documents.azure.com:443/", database: "db" },
    });
    assert.deepEqual(Object.keys(ls).sort(), Object.keys(ADF_LINKED_SERVICES).sort());
    for (const [role, p] of Object.entries(ls).map(([k, v]) => [k, plain(v)] as const)) {
      assert.deepEqual(
        p.connectVia,
        { type: "IntegrationRuntimeReference", referenceName: ADF_INTEGRATION_RUNTIME },
        role,
      );
      assert.deepEqual(p.credential, { type: "CredentialReference", referenceName: ADF_CREDENTIAL }, role);
      for (const key of [
        ...SECRET_KEYS.filter((k) => k !== "credential"),
        "connectionString",
        "sasUri",
        "servicePrincipalId",
      ]) {
        assert.ok(!(key in p), `${role}: ${key}`);
      }
    }
    assert.equal(plain(ls.oltp).authenticationType, "UserAssignedManagedIdentity");
    assert.equal(plain(ls.warehouse).authenticationType, "UserAssignedManagedIdentity");
    assert.equal(plain(ls.oltp).encrypt, "mandatory");
  });

  it("grants Cosmos DB containers by the ids the erasure pipeline writes, refusing an id the NoSQL tier lacks", () => {
    assert.deepEqual([...ETL_COSMOS_CONTAINERS].sort(), ["fraudFeatures", "sessions"]);
    // Its stubs expire by per-item ttl, which Cosmos DB honours only with a container TTL: config requires one there.
    for (const c of ETL_COSMOS_CONTAINERS) assert.ok((TTL_REQUIRED_CONTAINERS as readonly string[]).includes(c), c);
    assert.throws(
      () => cosmosKeysOf(["customers"]),
      /container 'customers' is not one the NoSQL tier creates \(api_logs, /,
    );
  });

  it("names the private endpoint behind each managed endpoint as Data Factory does (<factory>.<endpoint>)", () => {
    assert.equal(
      managedEndpointPrivateEndpointName("adf-pay-dev-weu-1a2b", "lakeDfs"),
      "adf-pay-dev-weu-1a2b.mpe-lake-dfs",
    );
    assert.equal(
      new Set(Object.values(MANAGED_ENDPOINTS).map((m) => m.name)).size,
      Object.keys(MANAGED_ENDPOINTS).length,
    );
  });

  it("off hours: silences from the stop to the start plus the longest alert window, and all weekend", () => {
    const schedule = { timeZone: "UTC", resumeAt: "07:30", pauseAt: "19:00", weekdaysOnly: true };
    assert.equal(addMinutes("07:30", 45), "08:15:00");
    assert.throws(() => addMinutes("23:30", 45), /23:30 \+ 45 min passes midnight/);
    assert.deepEqual(silencedRecurrences(schedule, 15), [
      { recurrenceType: "Daily", startTime: "19:00:00", endTime: "07:45:00" },
      { recurrenceType: "Weekly", daysOfWeek: ["Saturday", "Sunday"] },
    ]);
    assert.deepEqual(silencedRecurrences({ ...schedule, weekdaysOnly: false }, 0), [
      { recurrenceType: "Daily", startTime: "19:00:00", endTime: "07:30:00" },
    ]);
    const target = {
      resourceId: "/subscriptions/s/resourceGroups/rg/providers/x/y/z",
      alertRuleIds: ["a"],
      quietMinutes: 720,
    };
    // A quiet period running into the evening stop would silence the alerts all day.
    assert.deepEqual(offHoursProblems({ schedule, targets: { streamingJob: target }, alertScopes: ["w"] }), [
      "offHours: alerts silenced until 19:30 (resumeAt + 720 min) would run into pauseAt 19:00",
    ]);
    assert.deepEqual(offHoursProblems({ schedule, targets: {}, alertScopes: [] }), [
      "offHours.targets: names no target (leave offHours out instead)",
    ]);
    assert.deepEqual(
      offHoursProblems({ schedule, targets: { streamingJob: { ...target, quietMinutes: 60 } }, alertScopes: [] }),
      ["offHours.alertScopes: required to silence the targets' alerts"],
    );
  });

  it("off hours: refuses targets that are not the definitions' (a pipeline would stop what the stack never granted)", () => {
    const defs = generateAdfDefinitions(undefined, {
      poolPauseSchedule: {
        timeZone: "UTC",
        resumeAt: "07:00",
        pauseAt: "19:00",
        weekdaysOnly: true,
        alsoStop: ["streamingJob"],
      },
    });
    const args = {
      context: {},
      managedEndpoints: { oltpSql: {}, warehouseSql: {}, lakeDfs: {}, lakeBlob: {}, cosmosSql: {} },
      definitions: defs,
      globalParameterValues: Object.fromEntries(
        Object.keys(defs.globalParameters)
          .filter((k) => k !== "streamingJobResourceId")
          .map((k) => [k, "x"]),
      ),
      offHours: {
        schedule: { timeZone: "UTC", resumeAt: "07:00", pauseAt: "19:00", weekdaysOnly: true },
        targets: {
          fraudScoring: {
            resourceId: "/subscriptions/s/resourceGroups/rg/providers/a/b/c",
            alertRuleIds: [],
            quietMinutes: 15,
          },
        },
        alertScopes: [],
      },
    } as unknown as EtlArgs;
    assert.throws(
      () => validateEtlArgs(args),
      /global parameter 'streamingJobResourceId' \(String\) has no value.*'fraudScoringAppResourceId' is not read by any definition.*offHours\.targets: must be exactly the definitions' off-hours targets \(streamingJob\), got fraudScoring/,
    );
  });

  it("refuses definitions whose global parameters have no value, and values nobody reads, before registering", () => {
    const args = {
      context: {},
      managedEndpoints: { oltpSql: {}, warehouseSql: {}, lakeDfs: {}, lakeBlob: {}, cosmosSql: {} },
      definitions: FIXTURE,
      globalParameterValues: { rawFileSystem: "raw", stray: "x" },
      lock: { kind: "ReadOnly" },
    } as unknown as EtlArgs;
    assert.throws(
      () => validateEtlArgs(args),
      /lock: a ReadOnly lock .*global parameter 'environment' \(String\) has no value.*'stray' is not read by any definition/,
    );
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`etl (${stack} stack)`, function () {
    this.timeout(240_000);
    let resources: ResourceRecord[];
    let mine: ResourceRecord[];
    let outputs: Record<string, unknown>;
    let factory: ResourceRecord;
    const prod = stack === "prod";
    const idOf = (r: ResourceRecord) => String(r.outputs.id ?? r.id);

    before(async () => {
      const p = await previewOf(stack);
      resources = p.run.resources;
      outputs = p.run.stackOutputs;
      mine = resources.filter((r) => r.name.startsWith("etl-"));
      factory = byName(mine, "etl-factory");
    });

    it(
      prod
        ? "leaves prod without the outbound allow-list until dev's trial (the pack's advisory rule says so)"
        : "assigns Data Factory's outbound allow-list on the factory's group: the stores' hosts and Resource Manager, Deny",
      () => {
        const assignments = ofType(resources, "azure-native:authorization:PolicyAssignment").filter((a) =>
          String(a.inputs.policyDefinitionId).endsWith("/3d02a511-74e5-4dab-a5fd-878704d4a61a"),
        );
        assert.equal(assignments.length, prod ? 0 : 1);
        if (prod) return;
        const [a] = assignments;
        assert.equal(a.inputs.scope, idOf(factory).split("/providers/")[0]);
        assert.match(String(a.inputs.scope), /\/resourceGroups\/rg-pay-dev-weu-integration$/);
        const params = a.inputs.parameters as { effect: { value: string }; allowedDomainNames: { value: string[] } };
        assert.equal(params.effect.value, "Deny");
        // No custom non-compliance message: the definition's mode is a resource provider mode
        // (Microsoft.DataFactory.Data), for which Azure supports none; the guidance is in the description.
        assert.equal(a.inputs.nonComplianceMessages, undefined);
        assert.match(
          String(a.inputs.description),
          /outboundDomains \(components\/etl\/settings\.ts\) in a reviewed change/,
        );
        const domains = params.allowedDomainNames.value;
        assert.ok(domains.includes("management.azure.com"));
        assert.ok(
          domains.some((d) => d.endsWith(".database.windows.net")),
          "the OLTP server",
        );
        assert.ok(
          domains.some((d) => d.endsWith(".sql.azuresynapse.net")),
          "the warehouse",
        );
        assert.ok(
          domains.some((d) => d.endsWith(".dfs.core.windows.net")),
          "the lake",
        );
        assert.ok(
          domains.some((d) => d.endsWith(".documents.azure.com")),
          "Cosmos DB",
        );
        assert.ok(
          domains.every((d) => !d.includes("*") && !d.includes("/")),
          "full host names only",
        );
      },
    );

    it("creates one factory: private, in the integration group, with its identities and the key at creation", () => {
      assert.equal(ofType(resources, T.factory).length, 1);
      assert.equal(factory.inputs.publicNetworkAccess, "Disabled");
      assert.equal(factory.inputs.resourceGroupName, `rg-pay-${stack}-weu-integration`);
      assert.match(String(factory.inputs.factoryName), new RegExp(`^adf-pay-${stack}-weu-[a-z0-9]{4}$`));
      const cmkId = idOf(byName(resources, "platform-cmk-data-factory-id"));
      const etlId = idOf(byName(mine, "etl-identity"));
      const deployId = idOf(byName(mine, "etl-deploy-identity"));
      assert.equal(input(factory, "identity.type"), "UserAssigned");
      assert.deepEqual(
        Object.keys(input(factory, "identity.userAssignedIdentities") as Json).sort(),
        [cmkId, etlId, deployId].sort(),
      );
      assert.deepEqual(input(factory, "encryption"), {
        vaultBaseUrl: String(outputs.keyVaultUri),
        keyName: "cmk-data-factory",
        identity: { userAssignedIdentity: cmkId },
      });
      assert.ok(factory.dependencies.includes(byName(resources, "platform-cmk-data-factory-grant-propagation").urn));
      assert.equal(factory.protect, prod);
    });

    it("creates the managed VNet (an ARM deployment: no location, no DELETE API) and the named Azure IR inside it", () => {
      const vnet = byName(mine, "etl-managed-vnet");
      assert.equal(vnet.type, "azure-native:resources:Deployment");
      assert.equal(vnet.inputs.location, undefined);
      assert.deepEqual(input(vnet, "properties.template.resources"), [
        {
          type: "Microsoft.DataFactory/factories/managedVirtualNetworks",
          apiVersion: "2018-06-01",
          name: "[concat(parameters('factoryName'), '/default')]",
          properties: {},
        },
      ]);
      assert.deepEqual(input(vnet, "properties.parameters"), {
        factoryName: { value: String(factory.inputs.factoryName) },
      });
      const ir = byName(mine, "etl-ir");
      assert.equal(ir.inputs.integrationRuntimeName, ADF_INTEGRATION_RUNTIME);
      assert.equal(input(ir, "properties.managedVirtualNetwork.referenceName"), "default");
      assert.ok(ir.dependencies.includes(vnet.urn));
      const cfg = configOf(stack).etl.integrationRuntime;
      assert.equal(
        input(ir, "properties.computeProperties.copyComputeScaleProperties.dataIntegrationUnit"),
        cfg.copyDataIntegrationUnits,
      );
    });

    it(`reaches every store through a managed private endpoint${prod ? " (both OLTP servers: the failover group)" : ""}, after the store's own operations`, () => {
      const mpes = ofType(mine, T.mpe);
      const byTarget = (name: string) => byName(resources, name);
      const expected: [string, string, string][] = [
        ["mpe-oltp-sql", idOf(byTarget("oltp-server")), "sqlServer"],
        ...(prod
          ? ([["mpe-oltp-sql-secondary", idOf(byTarget("oltp-secondary")), "sqlServer"]] as [string, string, string][])
          : []),
        ["mpe-synapse-sql", idOf(byTarget("olap-workspace")), "Sql"],
        ["mpe-lake-dfs", idOf(byTarget("olap-lake")), "dfs"],
        ["mpe-lake-blob", idOf(byTarget("olap-lake")), "blob"],
        ["mpe-cosmos-sql", idOf(byTarget("nosql-account")), "Sql"],
      ];
      assert.deepEqual(
        mpes.map((m) => [
          m.inputs.managedPrivateEndpointName,
          input(m, "properties.privateLinkResourceId"),
          input(m, "properties.groupId"),
        ]),
        expected,
      );
      for (const m of mpes) {
        assert.equal(m.inputs.managedVirtualNetworkName, "default");
        // Azure fills in fqdns after creation: a drift check must not report it (nor an up try to change it).
        assert.deepEqual(m.ignoreChanges, ["properties.fqdns"]);
        // Data Factory refuses to change an endpoint in place: a new target replaces it, the old one first.
        assert.deepEqual(m.replaceOnChanges, ["properties.privateLinkResourceId", "properties.groupId"]);
        assert.equal(m.deleteBeforeReplace, true);
      }
      // One at a time inside the managed VNet, deletes too (a tier turned off removes endpoints that are not
      // neighbours; Pulumi orders deletes on direct dependencies only).
      assertChainedPairwise(mpes);
      assert.ok(mpes[0].dependencies.includes(byName(mine, "etl-managed-vnet").urn));
      // Cosmos DB runs one operation per account: after the NoSQL tier's grants and the ML workspace's endpoint.
      const cosmos = byName(mine, "etl-mpe-cosmos-sql");
      for (const dep of ["nosql-contributor-adf-etl-sessions", "ml-workspace"])
        assert.ok(cosmos.dependencies.includes(byName(resources, dep).urn), dep);
      assert.ok(byName(mine, "etl-mpe-lake-dfs").dependencies.includes(byName(resources, "olap-workspace").urn));
    });

    it("authenticates every linked service as the ETL identity through one credential, on the managed IR", () => {
      const cred = byName(mine, "etl-credential");
      assert.equal(cred.inputs.credentialName, ADF_CREDENTIAL);
      assert.equal(input(cred, "properties.resourceId"), idOf(byName(mine, "etl-identity")));
      const deployCred = byName(mine, "etl-deploy-credential");
      assert.equal(input(deployCred, "properties.resourceId"), idOf(byName(mine, "etl-deploy-identity")));
      const ls = ofType(mine, T.ls);
      assert.deepEqual(
        ls.map((l) => l.inputs.linkedServiceName).sort(),
        [...Object.values(ADF_LINKED_SERVICES), ...Object.values(ADF_DEPLOYMENT_LINKED_SERVICES)].sort(),
      );
      // Only the schema deployment's two linked services sign in as the deployment identity.
      const credentialOf = (l: ResourceRecord) => input(l, "properties.credential.referenceName");
      assert.deepEqual(
        ls
          .filter((l) => credentialOf(l) !== ADF_CREDENTIAL)
          .map((l) => l.inputs.linkedServiceName)
          .sort(),
        Object.values(ADF_DEPLOYMENT_LINKED_SERVICES).sort(),
      );
      assert.equal(credentialOf(byName(mine, "etl-ls-oltp-deploy")), deployCred.inputs.credentialName);
      // The four SQL linked services set their command timeout (its default is undocumented) to the longest activity
      // timeout, 12 hours: the publish's.
      const sql = ls.filter((l) => ["AzureSqlDatabase", "AzureSqlDW"].includes(String(input(l, "properties.type"))));
      assert.equal(sql.length, 4);
      for (const l of sql)
        assert.equal(input(l, "properties.commandTimeout"), 43_200, String(l.inputs.linkedServiceName));
      const sqlServer = (outputs.sqlEndpoints as Json).readWrite;
      assert.equal(input(byName(mine, "etl-ls-oltp"), "properties.server"), sqlServer);
      assert.equal(
        input(byName(mine, "etl-ls-warehouse"), "properties.server"),
        (outputs.synapseSqlEndpoints as Json).dedicated,
      );
      assert.equal(input(byName(mine, "etl-ls-warehouse"), "properties.database"), outputs.synapseSqlPoolName);
      assert.equal(input(byName(mine, "etl-ls-lake"), "properties.url"), outputs.lakeDfsEndpoint);
      for (const l of ls) {
        assert.ok(l.dependencies.includes(byName(mine, "etl-ir").urn));
        assert.ok(l.dependencies.includes((credentialOf(l) === ADF_CREDENTIAL ? cred : deployCred).urn));
        assert.equal(input(l, "properties.connectVia.referenceName"), ADF_INTEGRATION_RUNTIME);
      }
    });

    it("makes the deployment identity (and only it) a member of the database admins group, not of the platform admins (Key Vault administrators)", () => {
      const members = ofType(resources, "azuread:index/groupMember:GroupMember");
      const groups = outputs.entraGroupObjectIds as Json;
      assert.notEqual(groups.databaseAdmins, groups.platformAdmins);
      // The group the deployment identity joins holds no Azure role: no Key Vault, no resource management.
      assert.deepEqual(
        ofType(resources, "azure-native:authorization:RoleAssignment")
          .filter((r) => r.inputs.principalId === groups.databaseAdmins)
          .map((r) => r.name),
        [],
      );
      assert.deepEqual(
        members.map((m) => [m.name, m.inputs.groupObjectId, m.inputs.memberObjectId]),
        [
          [
            "etl-deploy-identity-sql-admin",
            groups.databaseAdmins,
            byName(mine, "etl-deploy-identity").outputs.principalId,
          ],
        ],
      );
    });

    it("deploys every generated pipeline, dataset and trigger, and defines every global parameter they read", () => {
      const defs = generateAdfDefinitions(undefined, { poolPauseSchedule: configOf(stack).olap.pauseSchedule });
      assert.deepEqual(
        ofType(mine, T.pipeline)
          .map((p) => p.inputs.pipelineName)
          .sort(),
        defs.pipelines.map((p) => p.name).sort(),
      );
      assert.ok(defs.pipelines.length >= 15, "at least 15 pipelines");
      assert.deepEqual(
        ofType(mine, T.dataset)
          .map((d) => d.inputs.datasetName)
          .sort(),
        defs.datasets.map((d) => d.name).sort(),
      );
      assert.deepEqual(
        ofType(mine, T.trigger)
          .map((t) => t.inputs.triggerName)
          .sort(),
        defs.triggers.map((t) => t.name).sort(),
      );
      // On the factory itself: a later PUT of the factory would wipe a separate GlobalParameter resource.
      assert.equal(ofType(resources, T.globals).length, 0);
      const g = byName(mine, "etl-factory");
      assert.deepEqual(
        Object.keys(g.inputs.globalParameters as Json).sort(),
        Object.keys(defs.globalParameters).sort(),
      );
      const value = (n: string) => at(g.inputs.globalParameters, n, "value");
      assert.equal(value("etlPrincipalName"), (outputs.etlIdentity as Json).databaseUserName);
      assert.equal(value("lakeDfsEndpoint"), String(outputs.lakeDfsEndpoint).replace(/\/$/, ""));
      assert.equal(value("lakeRawFileSystem"), "raw");
      assert.equal(value("sqlPoolResourceId"), outputs.synapseSqlPoolId);
      assert.equal(value("alwaysEncryptedColumnMasterKeyId"), outputs.alwaysEncryptedColumnMasterKeyId);
      const master = byName(mine, `etl-pl-${MASTER_PIPELINE}`);
      assert.equal(input(master, "parameters.runDate.type"), "String");
      // Every pipeline waits for the factory that carries the global parameters it reads.
      assert.ok(master.dependencies.includes(g.urn));
    });

    it("grants the ETL identity its least roles: contributor on the lake's raw file system, the erasure's Cosmos DB containers, the ETL workload group", () => {
      const principal = (outputs.etlIdentity as Json).principalId;
      const lake = ofType(resources, T.ra).filter((r) => r.inputs.principalId === principal);
      assert.deepEqual(
        lake.map((r) => [r.name, r.inputs.scope]).sort(),
        [
          // The raw file system only (extraction and the erasure write there; COPY INTO runs as the workspace).
          ["olap-lake-ra-adf-etl-raw-blob-contributor", idOf(byName(resources, "olap-fs-raw"))],
          ...(prod
            ? []
            : [
                ["olap-pool-ra-adf-etl-pool-operator", idOf(byName(resources, "olap-pool"))],
                // dev sleeps off hours: stop/start on the scorer, the gateway and the job, and nothing else.
                ["etl-offhours-fraudScoring-ra-adf-etl-off-hours", idOf(byName(resources, "ingestion-fraud-app"))],
                ["etl-offhours-gateway-ra-adf-etl-off-hours", idOf(byName(resources, "ingestion-agw"))],
                // Starting the gateway passes its virtual network permission check: join on its own subnet only.
                [
                  "etl-offhours-gateway-subnet-ra-adf-etl-off-hours-subnet-join",
                  input(byName(resources, "ingestion-agw"), "gatewayIPConfigurations.0.subnet.id"),
                ],
                ["etl-offhours-streamingJob-ra-adf-etl-off-hours", idOf(byName(resources, "streaming-job"))],
              ]),
        ].sort(),
      );
      const granted = ofType(resources, T.cosmosRa).filter((r) => r.inputs.principalId === principal);
      const names = outputs.cosmosContainerNames as Record<string, string>;
      // Data Contributor on the erasure's containers, and readMetadata (custom role) on the account only.
      const cosmos = granted.filter((r) => String(r.inputs.scope).includes("/colls/"));
      assert.deepEqual(
        cosmos.map((r) => String(r.inputs.scope).split("/").pop()),
        ETL_COSMOS_CONTAINERS.map((c) => names[c]),
      );
      assert.ok(
        cosmos.every((r) => String(r.inputs.roleDefinitionId).endsWith("00000000-0000-0000-0000-000000000002")),
      );
      assert.deepEqual(
        granted.filter((r) => !cosmos.includes(r)).map((r) => r.inputs.roleDefinitionId),
        [byName(resources, "nosql-metadata-reader").id],
      );
    });

    it(
      prod
        ? "stops nothing off hours: no off-hours pipelines, triggers, roles or silenced alerts in prod"
        : "stops the scorer, the streaming job and the gateway off hours with a stop/start role on each, and silences their alerts meanwhile",
      () => {
        const offHours = mine.filter((r) => /offhours/.test(r.name));
        // The alerts a stopped target fires are stateless where it sleeps: fired and silenced at night, a stateful
        // one would stay fired and never page in the morning.
        for (const alert of [
          "ingestion-merchant-refresh-alert",
          "ingestion-scorer-stalled-alert",
          "streaming-freshness-alert",
        ]) {
          assert.equal(byName(resources, alert).inputs.autoMitigate, prod, alert);
          // …and notify at most once an hour while they keep firing (the freshness alert once a day where the pool
          // sleeps until resumed: dev).
          const quiet = alert === "streaming-freshness-alert" ? "P1D" : "PT1H";
          assert.equal(byName(resources, alert).inputs.muteActionsDuration, prod ? undefined : quiet, alert);
        }
        const pipelines = ofType(mine, T.pipeline).map((p) => String(p.inputs.pipelineName));
        const g = byName(mine, "etl-factory");
        if (prod) {
          assert.deepEqual(offHours, []);
          assert.ok(!pipelines.some((p) => /offhours/.test(p)));
          assert.ok(!("fraudScoringAppResourceId" in (g.inputs.globalParameters as Json)));
          return;
        }
        // The pipelines stop exactly the app and the job the stack created (their ids as global parameters).
        assert.ok(pipelines.includes("etl_offhours_stop") && pipelines.includes("etl_offhours_start"));
        const value = (n: string) => at(g.inputs.globalParameters, n, "value");
        assert.equal(value("fraudScoringAppResourceId"), idOf(byName(resources, "ingestion-fraud-app")));
        assert.equal(value("streamingJobResourceId"), idOf(byName(resources, "streaming-job")));
        assert.equal(value("gatewayResourceId"), idOf(byName(resources, "ingestion-agw")));
        // Least privilege: read, stop and start, defined where each target lives.
        const roles = ofType(mine, "azure-native:authorization:RoleDefinition");
        assert.deepEqual(
          roles.map((r) => [r.name, at(r.inputs, "permissions", 0, "actions"), r.inputs.assignableScopes]).sort(),
          [
            [
              "etl-offhours-fraudScoring-role",
              ["Microsoft.Web/sites/read", "Microsoft.Web/sites/stop/action", "Microsoft.Web/sites/start/action"],
              [`/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu-ingestion`],
            ],
            [
              "etl-offhours-gateway-role",
              [
                "Microsoft.Network/applicationGateways/read",
                "Microsoft.Network/applicationGateways/stop/action",
                "Microsoft.Network/applicationGateways/start/action",
              ],
              [`/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu-ingestion`],
            ],
            [
              "etl-offhours-gateway-subnet-role",
              [
                "Microsoft.Network/virtualNetworks/subnets/read",
                "Microsoft.Network/virtualNetworks/subnets/join/action",
              ],
              [`/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu-network`],
            ],
            [
              "etl-offhours-streamingJob-role",
              [
                "Microsoft.StreamAnalytics/streamingjobs/read",
                "Microsoft.StreamAnalytics/streamingjobs/stop/action",
                "Microsoft.StreamAnalytics/streamingjobs/start/action",
              ],
              [`/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-pay-dev-weu-integration`],
            ],
          ],
        );
        // Each stop/start grant waits for its new role to replicate (RoleDefinitionDoesNotExist otherwise).
        for (const target of ["fraudScoring", "gateway", "streamingJob", "gateway-subnet"]) {
          const settled = byName(mine, `etl-offhours-${target}-role-propagation`);
          assert.equal(settled.inputs.createDuration, "5m");
          const grant = ofType(mine, "azure-native:authorization:RoleAssignment").find((r) =>
            String(r.inputs.roleDefinitionId).endsWith(
              String(byName(mine, `etl-offhours-${target}-role`).inputs.roleDefinitionId),
            ),
          );
          assert.ok(grant?.dependencies.includes(settled.urn), `${target}: the grant waits for the role to replicate`);
        }
        // The alerts a stopped scorer or job fires lose their action groups from the stop (19:00) to the start plus
        // the longest alert window (dev's 60-minute freshness), and all weekend, in the schedule's time zone.
        const silence = byName(mine, "etl-offhours-silence");
        assert.equal(silence.inputs.location, "Global");
        assert.deepEqual(input(silence, "properties.scopes"), [outputs.logAnalyticsWorkspaceId]);
        assert.deepEqual(input(silence, "properties.conditions"), [
          {
            field: "AlertRuleId",
            operator: "Equals",
            values: [
              idOf(byName(resources, "ingestion-merchant-refresh-alert")),
              idOf(byName(resources, "ingestion-scorer-stalled-alert")),
              idOf(byName(resources, "streaming-freshness-alert")),
            ],
          },
        ]);
        assert.deepEqual(input(silence, "properties.actions"), [{ actionType: "RemoveAllActionGroups" }]);
        assert.deepEqual(input(silence, "properties.schedule"), {
          timeZone: "W. Europe Standard Time",
          recurrences: [
            { recurrenceType: "Daily", startTime: "19:00:00", endTime: "08:00:00" },
            { recurrenceType: "Weekly", daysOfWeek: ["Saturday", "Sunday"] },
          ],
        });
      },
    );

    it("names the SQL users and the workload classifier member after the ETL identity, as the generated SQL expects", () => {
      const identity = byName(mine, "etl-identity");
      const user = (outputs.etlIdentity as Json).databaseUserName;
      assert.equal(user, identity.inputs.resourceName);
      assert.equal(user, `id-pay-${stack}-weu-adf-etl`);
      assert.equal(byName(resources, "olap-wc-etl").inputs.memberName, user);
      // The generated SQL creates the user from the EtlPrincipalName variable; the runbook passes this output.
      for (const f of ["04_oltp_etl_access.sql", "13_olap_etl_access.sql"]) {
        const sql = fs.readFileSync(path.resolve(__dirname, "../pipelines/sql", f), "utf8");
        assert.match(sql, /CREATE USER \[\$\(EtlPrincipalName\)\] FROM EXTERNAL PROVIDER/, f);
      }
      const ops = fs.readFileSync(path.resolve(__dirname, "../docs/operations.md"), "utf8");
      assert.match(ops, /EtlPrincipalName="\$\(pulumi stack output etlIdentity --json \| jq -r \.databaseUserName\)"/);
    });

    it("has private endpoints for the factory's API and Studio, diagnostics, Reader for data engineers, protect and no lock", () => {
      const pes = ofType(mine, T.pe).filter(
        (p) => at(p.inputs, "privateLinkServiceConnections", 0, "privateLinkServiceId") === idOf(factory),
      );
      assert.deepEqual(
        pes.map((p) => at(p.inputs, "privateLinkServiceConnections", 0, "groupIds")),
        [["dataFactory"], ["portal"]],
      );
      const diag = ofType(mine, T.diag).filter((d) => d.inputs.resourceUri === idOf(factory));
      assert.equal(diag.length, 1);
      assert.deepEqual(diag[0].inputs.logs, [{ categoryGroup: "allLogs", enabled: true }]);
      assert.equal(diag[0].inputs.logAnalyticsDestinationType, "Dedicated");
      // A lock on the factory would lock its pipelines, datasets and triggers too: a routine model change that drops
      // one would fail with ScopeLocked. Protected from Pulumi deletes in prod all the same.
      assert.equal(ofType(mine, T.lock).filter((l) => l.inputs.scope === idOf(factory)).length, 0);
      assert.equal(factory.protect, prod);
      assert.ok(
        ofType(mine, T.ra).some(
          (r) =>
            r.inputs.scope === idOf(factory) &&
            String(r.inputs.roleDefinitionId).endsWith("acdd72a7-3385-48ef-bd42-f606fba81ae7"),
        ),
      );
    });

    it("exports what the deploy workflow and the operations tier need", () => {
      assert.equal(outputs.dataFactoryName, factory.inputs.factoryName);
      assert.equal(outputs.dataFactoryId, idOf(factory));
      assert.deepEqual(
        [...(outputs.etlPipelineNames as string[])].sort(),
        ofType(mine, T.pipeline)
          .map((p) => String(p.inputs.pipelineName))
          .sort(),
      );
      assert.deepEqual(
        [...(outputs.etlTriggerNames as string[])].sort(),
        ofType(mine, T.trigger)
          .map((p) => String(p.inputs.triggerName))
          .sort(),
      );
    });
  });
}

describe("etl (generated definitions deployed: fixture program)", function () {
  this.timeout(240_000);
  let mine: ResourceRecord[];
  let result: PreviewResult;

  before(async () => {
    await previewOf("prod");
    result = await previewStack({ stack: "dev", program: path.resolve(__dirname, "fixtures/etl/index.ts") });
    mine = result.run.resources.filter((r) => r.name.startsWith("etl-"));
  });

  it("creates datasets, pipelines and triggers in the azure-native shape, each after what it references", () => {
    const ds = byName(mine, "etl-ds-ds_lake_parquet");
    assert.equal(input(ds, "properties.location.type"), "AzureBlobFSLocation");
    for (const ls of ofType(mine, T.ls)) assert.ok(ds.dependencies.includes(ls.urn));
    const extract = byName(mine, "etl-pl-pl_extract_payment");
    const masterPl = byName(mine, "etl-pl-etl_oltp_to_olap");
    assert.ok(extract.dependencies.includes(ds.urn));
    assert.ok(masterPl.dependencies.includes(extract.urn), "a pipeline after those it executes");
    assert.equal(input(masterPl, "activities.0.pipeline.referenceName"), "pl_extract_payment");
    const trigger = byName(mine, "etl-tr-tr_nightly");
    assert.ok(trigger.dependencies.includes(masterPl.urn));
    assert.deepEqual(input(trigger, "properties.recurrence.schedule"), { hours: [2], minutes: [0] });
    assert.equal(trigger.outputs.properties && (trigger.outputs.properties as Json).runtimeState, "Stopped");
  });

  it("defines every global parameter the definitions read on the factory", () => {
    const g = byName(mine, "etl-factory");
    assert.equal(ofType(mine, T.globals).length, 0);
    assert.deepEqual(g.inputs.globalParameters, {
      rawFileSystem: { type: "String", value: "raw" },
      environment: { type: "String", value: "dev" },
    });
  });

  it("passes the ARM schema check and the policy pack (the converted bodies are what ARM takes)", () => {
    assert.deepEqual(result.schema?.errors ?? [], []);
    assert.deepEqual(
      result.verdict.violations.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
  });
});
