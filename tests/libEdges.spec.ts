/**
 * Edges of the pure helpers (lib/) and the shared components' pure parts that a mutation audit found unasserted:
 * role definition GUIDs, CIDR boundaries, Azure's name limits and character sets, ML egress tags, private DNS zones,
 * time zone offsets, the deterministic role assignment names, and the stack context's naming and tags.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  BuiltInRoles,
  HOST_STORAGE_ROLES,
  managementLock,
  roleAssignments,
  roleDefinitionId,
  stackContext,
  validateFunctionAppArgs,
  type RoleAssignmentSpec,
} from "../components/shared";
import { contains, carve, isPrivate, overlaps, parseCidr, type Cidr } from "../lib/cidr";
import { ML_COMPUTE_EGRESS, mlComputeEgress, SERVICE_TAG_REGION } from "../lib/mlEgress";
import {
  isGloballyUnique,
  NAME_RULES,
  REGION_DISPLAY_NAMES,
  REGION_SHORT,
  regionShort,
  resourceName,
  type ResourceKind,
} from "../lib/naming";
import { PRIVATE_LINK } from "../lib/privateLink";
import { providerConfigProblems } from "../lib/providerConfig";
import { WINDOWS_TIME_ZONES } from "../lib/timeZones";
import { PLATFORM_NAMESPACE, roleAssignmentName } from "../lib/uuid";
import { configOf, previewOf } from "./helpers/stacks";

const c = (t: string) => parseCidr(t) as Cidr;

describe("lib edges: built-in role GUIDs", () => {
  // Microsoft's list (learn.microsoft.com/azure/role-based-access-control/built-in-roles): a wrong GUID grants another
  // role, often a broader one (Crypto User for Crypto Service Encryption User, AcrPush for AcrPull, Owner for Sender).
  it("are the ids Microsoft publishes for the roles they are named after", () => {
    assert.deepEqual(
      { ...BuiltInRoles },
      {
        Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        KeyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        KeyVaultContributor: "f25e0fa2-a7c8-4377-a976-54943a77a395",
        KeyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        KeyVaultCryptoServiceEncryptionUser: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
        LogAnalyticsReader: "73c42c96-874c-492b-b04d-ab87d138a893",
        MonitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
        StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        StorageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        EventHubsDataSender: "2b629674-e913-4c01-ae53-ef4638d8f975",
        EventHubsDataReceiver: "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
        Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        StorageFileDataPrivilegedContributor: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
        AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        AzureMlDataScientist: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
        AzureMlMetricsWriter: "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
        AzureAiEnterpriseNetworkConnectionApprover: "b556d68e-0be0-4f35-a333-ad7ee1ce17ea",
      },
    );
    // Storage Blob Data Owner and Storage Table Data Contributor: the Functions host's identity-based storage.
    assert.deepEqual(
      { ...HOST_STORAGE_ROLES },
      {
        "blob-data-owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "table-data-contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
      },
    );
  });
});

describe("lib edges: CIDR boundaries", () => {
  it("refuses an octet above 255 and a prefix above /32, even when the host bits happen to be zero", () => {
    // 10.256.0.0 would alias 11.0.0.0 (public space); /33 would pass the host-bit check for 0.0.0.0 and 128.0.0.0.
    for (const bad of ["10.256.0.0/16", "256.0.0.0/8", "10.0.0.256/32", "0.0.0.0/33", "128.0.0.0/33"])
      assert.equal(parseCidr(bad), undefined, bad);
    assert.deepEqual(c("255.255.255.255/32"), { network: 0xffffffff, prefix: 32 });
  });

  it("calls private exactly RFC 1918: not the public space around 10/8, 172.16/12 and 192.168/16", () => {
    for (const inside of ["10.0.0.0/8", "10.255.255.0/24", "172.16.0.0/12", "172.31.255.0/24", "192.168.255.0/24"])
      assert.ok(isPrivate(c(inside)), inside);
    for (const outside of [
      "11.0.0.0/8",
      "9.255.255.0/24",
      "172.15.255.0/24",
      "172.32.0.0/16",
      "172.0.0.0/8",
      "192.169.0.0/16",
      "192.167.255.0/24",
    ])
      assert.ok(!isPrivate(c(outside)), outside);
  });

  it("sees an overlap whichever range is named first (the smaller, or the larger)", () => {
    assert.ok(overlaps(c("10.20.0.128/25"), c("10.20.0.0/24")));
    assert.ok(overlaps(c("10.20.0.0/24"), c("10.20.0.128/25")));
    assert.ok(overlaps(c("10.20.0.0/24"), c("10.20.0.0/24")), "identical ranges");
    assert.ok(contains(c("10.20.0.0/24"), c("10.20.0.0/24")));
  });

  it("carves down to Azure's smallest subnet, /29, and no smaller", () => {
    assert.deepEqual(carve(c("10.0.0.0/28"), [{ name: "a", prefix: 29 }]).a, c("10.0.0.0/29"));
    assert.deepEqual(carve(c("10.0.0.0/24"), [{ name: "all", prefix: 24 }]).all, c("10.0.0.0/24"));
    assert.throws(
      () => carve(c("10.0.0.0/24"), [{ name: "tiny", prefix: 30 }]),
      /subnet 'tiny': \/30 does not fit in 10\.0\.0\.0\/24 \(allowed \/24–\/29\)/,
    );
  });
});

describe("lib edges: names", () => {
  const ctx = { workload: "pay", environment: "prod", location: "westeurope" };
  /** Azure's maximum length per kind (or the plan's stricter one: Synapse workspace and link hub, 45). */
  const MAX: Readonly<Record<string, number>> = {
    storageAccount: 24,
    containerRegistry: 50,
    keyVault: 24,
    cosmosKeyVault: 24,
    mlKeyVault: 24,
    mlWorkspaceKeyVault: 24,
    sqlServer: 63,
    cosmosAccount: 44,
    synapseWorkspace: 45,
    dataFactory: 63,
    eventHubNamespace: 50,
    functionApp: 60,
    sqlFailoverGroup: 63,
    mlWorkspace: 33,
    synapseSqlPool: 60,
    synapsePrivateLinkHub: 45,
  };

  it("accepts a name of exactly the kind's maximum length and refuses one character more", () => {
    assert.deepEqual(Object.keys(NAME_RULES).sort(), Object.keys(MAX).sort());
    for (const [kind, max] of Object.entries(MAX) as [ResourceKind, number][]) {
      const base = resourceName(kind, ctx).length + (NAME_RULES[kind]?.noHyphens ? 0 : 1);
      const fits = resourceName(kind, ctx, { qualifier: "q".repeat(max - base) });
      assert.equal(fits.length, max, kind);
      assert.throws(
        () => resourceName(kind, ctx, { qualifier: "q".repeat(max - base + 1) }),
        new RegExp(`for ${kind} must be \\d+–${max} characters \\(has ${max + 1}\\)`),
        kind,
      );
    }
  });

  it("keeps hyphens out of storage account names and off the end of a vault's name", () => {
    assert.throws(() => resourceName("storageAccount", ctx, { qualifier: "a-b" }), /storageAccount does not match/);
    assert.throws(() => resourceName("keyVault", ctx, { qualifier: "a-" }), /keyVault does not match/);
  });

  it("gives every EU region its own short code (two regions never share a name)", () => {
    const codes = Object.values(REGION_SHORT);
    assert.equal(new Set(codes).size, codes.length);
    assert.equal(regionShort("francecentral"), "frc");
    assert.equal(regionShort("northeurope"), "neu");
  });

  it("appends the random suffix only to the kinds Azure makes globally unique", () => {
    for (const kind of ["mlWorkspace", "synapseSqlPool", "resourceGroup", "virtualNetwork"] as const)
      assert.equal(isGloballyUnique(kind), false, kind);
    for (const kind of ["storageAccount", "keyVault", "sqlServer", "functionApp", "synapseWorkspace"] as const)
      assert.equal(isGloballyUnique(kind), true, kind);
  });
});

describe("lib edges: the stack context", () => {
  const config = configOf("dev");
  const ctx = stackContext(config);
  const suffix = pulumi.output("a1b2");

  it("names a resource in the region it is asked for (the secondary region's are not the primary's)", () => {
    assert.equal(ctx.name("virtualNetwork", undefined, "northeurope"), `vnet-${config.workload}-dev-neu`);
    assert.equal(ctx.name("virtualNetwork"), `vnet-${config.workload}-dev-weu`);
  });

  it("refuses a global name that breaks Azure's rules at plan time, and a global name for a non-global kind", () => {
    assert.throws(() => ctx.globalName("keyVault", suffix, "toolongqualifier"), /keyVault must be 3–24 characters/);
    assert.throws(() => ctx.globalName("resourceGroup", suffix), /resourceGroup names are not global; use name\(\)/);
  });

  it("tags with the stack's extra tags beside the required ones", () => {
    assert.ok(config.extraTags && Object.keys(config.extraTags).length > 0, "dev sets extraTags");
    const tags = ctx.tags({ dataClassification: "internal", pciScope: "out-of-scope", component: "platform" });
    const required = ["environment", "owner", "cost-center", "data-classification", "pci-scope", "component"];
    for (const [k, v] of Object.entries(config.extraTags ?? {})) if (!required.includes(k)) assert.equal(tags[k], v, k);
    assert.equal(tags.environment, "dev");
  });
});

describe("lib edges: ML compute egress", () => {
  it("is exactly Microsoft's required list: no broader tag, no other port", () => {
    assert.deepEqual(
      mlComputeEgress("westeurope").map((r) => [r.destination, r.protocol, r.ports.join(",")]),
      [
        ["AzureActiveDirectory", "TCP", "80,443"],
        ["AzureMachineLearning", "TCP", "443,8787,18881"],
        ["AzureMachineLearning", "UDP", "5831"],
        ["BatchNodeManagement.WestEurope", "TCP", "443"],
        ["AzureResourceManager", "TCP", "443"],
        ["Storage.WestEurope", "TCP", "443,445"],
        ["AzureFrontDoor.Frontend", "TCP", "443"],
        ["MicrosoftContainerRegistry", "TCP", "443"],
        ["AzureFrontDoor.FirstParty", "TCP", "443"],
        ["AzureMonitor", "TCP", "443"],
        ["AzureKeyVault.WestEurope", "TCP", "443"],
      ],
    );
    assert.equal(ML_COMPUTE_EGRESS.length, 11);
  });

  it("names every EU region the platform allows as Azure displays it (Service Health's impacted regions)", () => {
    assert.deepEqual(Object.keys(REGION_DISPLAY_NAMES).sort(), Object.keys(REGION_SHORT).sort());
    // The display name is the region's name with its words spaced and capitalised.
    for (const [region, display] of Object.entries(REGION_DISPLAY_NAMES))
      assert.equal(display.replace(/ /g, "").toLowerCase(), region, region);
  });

  it("scopes regional tags to the region itself, for every EU region the platform allows", () => {
    assert.deepEqual(Object.keys(SERVICE_TAG_REGION).sort(), Object.keys(REGION_SHORT).sort());
    for (const [region, suffix] of Object.entries(SERVICE_TAG_REGION)) assert.equal(suffix.toLowerCase(), region);
  });
});

describe("lib edges: private link", () => {
  it("registers each service in Microsoft's zone for its group id (public cloud)", () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(PRIVATE_LINK).map(([k, v]) => [k, [...v.groupIds, ...v.zones].join(" ")])),
      {
        sqlServer: "sqlServer privatelink.database.windows.net",
        synapseSql: "Sql privatelink.sql.azuresynapse.net",
        synapseSqlOnDemand: "SqlOnDemand privatelink.sql.azuresynapse.net",
        synapseDev: "Dev privatelink.dev.azuresynapse.net",
        synapseWeb: "Web privatelink.azuresynapse.net",
        cosmosSql: "Sql privatelink.documents.azure.com",
        dataFactory: "dataFactory privatelink.datafactory.azure.net",
        dataFactoryPortal: "portal privatelink.adf.azure.com",
        mlWorkspace: "amlworkspace privatelink.api.azureml.ms privatelink.notebooks.azure.net",
        keyVault: "vault privatelink.vaultcore.azure.net",
        storageBlob: "blob privatelink.blob.core.windows.net",
        storageDfs: "dfs privatelink.dfs.core.windows.net",
        storageFile: "file privatelink.file.core.windows.net",
        storageQueue: "queue privatelink.queue.core.windows.net",
        storageTable: "table privatelink.table.core.windows.net",
        eventHubs: "namespace privatelink.servicebus.windows.net",
        containerRegistry: "registry privatelink.azurecr.io",
        appService: "sites privatelink.azurewebsites.net",
        azureMonitor:
          "azuremonitor privatelink.monitor.azure.com privatelink.oms.opinsights.azure.com privatelink.ods.opinsights.azure.com privatelink.agentsvc.azure-automation.net privatelink.blob.core.windows.net",
      },
    );
  });
});

describe("lib edges: provider config", () => {
  it("reports an empty azure-native:location as missing, with the command that sets it", () => {
    assert.deepEqual(providerConfigProblems({ location: "" }, "westeurope"), providerConfigProblems({}, "westeurope"));
    assert.match(providerConfigProblems({ location: "" }, "westeurope")[0], /got nothing \(the key is missing\)/);
  });
});

describe("lib edges: time zones", () => {
  /** The UTC offset of an IANA zone at an instant, e.g. `GMT+02:00`. */
  const offset = (zone: string, iso: string) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(iso))
      .find((p) => p.type === "timeZoneName")?.value;

  it("maps each Windows zone to an IANA zone with its standard offset in winter and its summer time in July", () => {
    // Windows' base offsets (default-time-zones): all but UTC observe European summer time.
    const expected: Readonly<Record<string, [string, string]>> = {
      UTC: ["GMT", "GMT"],
      "GMT Standard Time": ["GMT", "GMT+01:00"],
      "W. Europe Standard Time": ["GMT+01:00", "GMT+02:00"],
      "Romance Standard Time": ["GMT+01:00", "GMT+02:00"],
      "Central Europe Standard Time": ["GMT+01:00", "GMT+02:00"],
      "Central European Standard Time": ["GMT+01:00", "GMT+02:00"],
      "GTB Standard Time": ["GMT+02:00", "GMT+03:00"],
      "FLE Standard Time": ["GMT+02:00", "GMT+03:00"],
      "E. Europe Standard Time": ["GMT+02:00", "GMT+03:00"],
    };
    assert.deepEqual(Object.keys(WINDOWS_TIME_ZONES).sort(), Object.keys(expected).sort());
    for (const [windows, [winter, summer]] of Object.entries(expected)) {
      const zone = WINDOWS_TIME_ZONES[windows];
      assert.deepEqual(
        [offset(zone, "2026-01-15T12:00:00Z"), offset(zone, "2026-07-15T12:00:00Z")].map((o) =>
          o === "GMT+00:00" ? "GMT" : o,
        ),
        [winter, summer],
        windows,
      );
    }
  });
});

describe("lib edges: role assignment names", () => {
  it("stay the names Azure already holds: UUIDv5 of scope|principal|role in the platform namespace", () => {
    // Python: uuid.uuid5(uuid.UUID(PLATFORM_NAMESPACE), "/subscriptions/s/resourcegroups/rg|principal-1|/providers/role/x")
    assert.equal(PLATFORM_NAMESPACE, "6f1f1c1e-7c8a-4c55-9a53-2b8c3f0e9d41");
    assert.equal(
      roleAssignmentName("/subscriptions/S/resourceGroups/RG", "principal-1", "/providers/role/x"),
      "c798f456-3180-5709-b031-0f08f2989a45",
    );
    // The separator keeps the parts apart: the same characters split differently give another name.
    assert.notEqual(roleAssignmentName("a", "bc", "d"), roleAssignmentName("ab", "c", "d"));
    assert.equal(roleAssignmentName("a", "bc", "d"), "95599dc3-210b-5e14-a3fd-fea1ea80a47a");
  });
});

describe("lib edges: function app arguments", () => {
  it("refuses any WEBSITE_CONTENT* setting (Azure Files content share settings), not only the listed ones", () => {
    assert.throws(
      () =>
        validateFunctionAppArgs({
          qualifier: "payapi",
          plan: { instanceMemoryMB: 2048, maximumInstanceCount: 40 },
          appSettings: { WEBSITE_CONTENTSHARE_SECONDARY: "share" },
        }),
      /appSettings\.WEBSITE_CONTENTSHARE_SECONDARY is not supported on Flex Consumption/,
    );
  });
});

describe("lib edges: shared resources under mocks", () => {
  const registered = new Map<string, Record<string, unknown>>();
  let parent: pulumi.ComponentResource;
  const value = <T>(o: pulumi.Input<T>) => new Promise<T>((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));

  before(async () => {
    // The mock engine is process-global: build under mocks once the shared previews are done (the next preview
    // resets it), as operationsAlerts.spec.ts does.
    await Promise.all([previewOf("dev"), previewOf("prod")]);
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.set(a.name, a.inputs as Record<string, unknown>);
          return { id: `${a.name}-id`, state: a.inputs as Record<string, unknown> };
        },
        call: (a) => ({ ...(a.inputs as Record<string, unknown>), subscriptionId: "sub-1" }),
      },
      "payments-data-platform",
      "dev",
      false,
    );
    parent = new pulumi.ComponentResource("test:shared:Edges", "edges");
  });

  it("passes a full role definition id through unchanged (a custom role's id is not re-prefixed)", async () => {
    const full = "/subscriptions/sub-9/providers/Microsoft.Authorization/roleDefinitions/custom-1";
    assert.equal(await value(roleDefinitionId(full)), full);
    assert.match(
      await value(roleDefinitionId(BuiltInRoles.Reader)),
      new RegExp(`^/subscriptions/[^/]+/providers/Microsoft\\.Authorization/roleDefinitions/${BuiltInRoles.Reader}$`),
    );
  });

  it("refuses two role assignments with the same key (the second would take the first's logical name)", () => {
    const spec: RoleAssignmentSpec = {
      key: "readers",
      principalId: "p-1",
      principalType: "Group",
      roleDefinitionId: BuiltInRoles.Reader,
    };
    assert.throws(
      () => roleAssignments("dup", "/scope", [spec, { ...spec, principalId: "p-2" }], parent),
      /dup: roleAssignments has the key 'readers' twice/,
    );
  });

  it("names a lock after its kind: do-not-delete for CanNotDelete, read-only for ReadOnly", async () => {
    const target = new pulumi.ComponentResource("test:shared:Target", "target", {}, { parent });
    const locks = (["CanNotDelete", "ReadOnly"] as const).map((kind) =>
      managementLock(`lock-${kind}`, "/scope", { kind, notes: kind }, parent, target),
    );
    await Promise.all(locks.map((l) => value(l?.id ?? "")));
    assert.deepEqual(
      (["CanNotDelete", "ReadOnly"] as const).map((kind) => {
        const inputs = registered.get(`lock-${kind}-lock`) ?? {};
        return [inputs.lockName, inputs.level];
      }),
      [
        ["do-not-delete", "CanNotDelete"],
        ["read-only", "ReadOnly"],
      ],
    );
  });
});
