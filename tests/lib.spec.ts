import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { Serial } from "../components/shared/serial";
import {
  carve,
  contains,
  findOverlaps,
  formatCidr,
  isPrivate,
  nthAddress,
  overlaps,
  parseCidr,
  type Cidr,
} from "../lib/cidr";
import { CAF, kebabCase, parseResourceGroupId, regionShort, resourceGroupParts, resourceName } from "../lib/naming";
import {
  AZURE_MONITOR_ONLY_ZONES,
  CENTRAL_ZONES,
  centralZoneIds,
  MAX_ZONES_PER_GROUP,
  PRIVATE_DNS_ZONES,
  PRIVATE_LINK,
} from "../lib/privateLink";
import { tagsFor } from "../lib/tags";
import { roleAssignmentName, uuidv5 } from "../lib/uuid";

const c = (t: string) => parseCidr(t) as Cidr;

describe("lib/cidr", () => {
  it("parses canonical CIDRs and rejects the rest", () => {
    assert.deepEqual(c("10.20.0.0/16"), { network: 0x0a140000, prefix: 16 });
    for (const bad of ["10.20.0.1/16", "10.20.0.0/33", "300.0.0.0/8", "10.0.0.0", "x/8", "10.0.0.0/-1"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
    assert.equal(formatCidr(c("192.168.10.0/24")), "192.168.10.0/24");
  });
  it("knows containment, overlap and private ranges", () => {
    assert.ok(contains(c("10.20.0.0/16"), c("10.20.4.64/26")));
    assert.ok(!contains(c("10.20.4.64/26"), c("10.20.0.0/16")));
    assert.ok(overlaps(c("10.20.0.0/24"), c("10.20.0.128/25")));
    assert.ok(!overlaps(c("10.20.0.0/25"), c("10.20.0.128/25")));
    assert.ok(isPrivate(c("172.16.0.0/12")) && isPrivate(c("192.168.1.0/24")) && !isPrivate(c("20.0.0.0/16")));
    assert.deepEqual(findOverlaps({ a: c("10.0.0.0/24"), b: c("10.0.0.0/25"), z: c("10.0.1.0/24") }), [["a", "b"]]);
  });
  it("carves aligned, non-overlapping subnets deterministically", () => {
    const out = carve(c("10.0.0.0/22"), [
      { name: "a", prefix: 26 },
      { name: "b", prefix: 24 },
      { name: "c", prefix: 26 },
    ]);
    assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, formatCidr(v)])), {
      a: "10.0.0.0/26",
      b: "10.0.1.0/24",
      c: "10.0.2.0/26",
    });
    assert.deepEqual(findOverlaps(out), []);
    assert.deepEqual(
      carve(c("10.0.0.0/22"), [{ name: "a", prefix: 26 }]).a,
      out.a,
      "adding requests never moves earlier ones",
    );
  });
  it("gives the n-th address of a range (Azure Firewall takes the first usable, .4)", () => {
    assert.equal(nthAddress(c("10.30.4.64/26"), 4), "10.30.4.68");
    assert.throws(() => nthAddress(c("10.30.4.64/26"), 64), /address #64 is outside 10.30.4.64\/26/);
  });
  it("fails clearly when the space is exhausted or a prefix does not fit", () => {
    assert.throws(
      () =>
        carve(c("10.0.0.0/24"), [
          { name: "a", prefix: 24 },
          { name: "b", prefix: 26 },
        ]),
      /exhausted before subnet 'b'/,
    );
    assert.throws(() => carve(c("10.0.0.0/24"), [{ name: "a", prefix: 16 }]), /subnet 'a': \/16 does not fit/);
  });
});

describe("lib/naming", () => {
  const ctx = { workload: "pay", environment: "prod", location: "westeurope" };
  it("splits a resource group's id into its subscription and name, and refuses anything else", () => {
    assert.deepEqual(
      resourceGroupParts("/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub-dns-westeurope"),
      { subscriptionId: "00000000-0000-4000-8000-0000000000aa", resourceGroupName: "rg-hub-dns-westeurope" },
    );
    for (const bad of [
      "rg-hub-dns-westeurope",
      "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z",
    ]) {
      assert.equal(parseResourceGroupId(bad), undefined);
      assert.throws(
        () => resourceGroupParts(bad),
        /not a resource group's id \(\/subscriptions\/<id>\/resourceGroups\/<name>\)/,
      );
    }
  });
  it("follows <abbr>-<workload>-<env>-<region>[-qualifier][-suffix] with CAF abbreviations", () => {
    assert.equal(resourceName("resourceGroup", ctx, { qualifier: "data" }), "rg-pay-prod-weu-data");
    assert.equal(resourceName("keyVault", ctx, { suffix: "a1b2" }), "kv-pay-prod-weu-a1b2");
    // The platform vaults fit Key Vault's 24 characters with the longest workload code (5) in prod.
    const longest = { ...ctx, workload: "paymn" };
    assert.equal(resourceName("keyVault", longest, { suffix: "a1b2" }), "kv-paymn-prod-weu-a1b2");
    assert.equal(resourceName("cosmosKeyVault", longest, { suffix: "a1b2" }), "kvc-paymn-prod-weu-a1b2");
    // So do the ML key's vault and the ML workspace's own vault (`kv-…-ml-…` was 26 characters with a 6-letter code).
    assert.equal(resourceName("mlKeyVault", longest, { suffix: "a1b2" }), "kvm-paymn-prod-weu-a1b2");
    assert.equal(resourceName("mlWorkspaceKeyVault", longest, { suffix: "a1b2" }), "kvw-paymn-prod-weu-a1b2");
    assert.equal(
      resourceName("sqlServer", { ...ctx, location: "northeurope" }, { suffix: "a1b2" }),
      "sql-pay-prod-neu-a1b2",
    );
    assert.equal(CAF.privateEndpoint, "pep");
  });
  it("drops hyphens where the service forbids them", () => {
    assert.equal(resourceName("storageAccount", ctx, { suffix: "a1b2" }), "stpayprodweua1b2");
  });
  it("enforces Azure's length rules at plan time, naming the kind", () => {
    assert.throws(
      () => resourceName("keyVault", ctx, { qualifier: "secrets", suffix: "a1b2" }),
      /name 'kv-pay-prod-weu-secrets-a1b2' for keyVault must be 3–24 characters \(has 28\)/,
    );
    assert.throws(
      () => resourceName("storageAccount", { ...ctx, workload: "payments" }, { qualifier: "datalake", suffix: "a1b2" }),
      /storageAccount must be 3–24/,
    );
  });
  it("rejects characters a service does not allow", () => {
    assert.throws(() => resourceName("storageAccount", ctx, { qualifier: "a_b" }), /does not match/);
  });
  it("turns camelCase keys into the kebab-case used in names", () => {
    assert.equal(kebabCase("fraudMl"), "fraud-ml");
    assert.equal(kebabCase("dataFactory"), "data-factory");
    assert.equal(kebabCase("sql"), "sql");
  });
  it("has a short code for every EU region and none for others", () => {
    assert.equal(regionShort("West Europe"), "weu");
    assert.throws(() => regionShort("eastus"), /no short code for region 'eastus'/);
  });
});

describe("lib/uuid", () => {
  it("implements RFC 4122 v5 (known vector)", () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    assert.equal(uuidv5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  });
  it("gives role assignments deterministic, case-insensitive GUID names", () => {
    const a = roleAssignmentName("/subscriptions/S/resourceGroups/RG", "principal-1", "/providers/role/x");
    assert.equal(a, roleAssignmentName("/subscriptions/s/resourcegroups/rg", "PRINCIPAL-1", "/providers/ROLE/x"));
    assert.notEqual(a, roleAssignmentName("/subscriptions/s/resourcegroups/rg", "principal-2", "/providers/role/x"));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("lib/tags", () => {
  it("sets every required tag and never lets extra tags override them", () => {
    const t = tagsFor(
      { environment: "prod", owner: "team", costCenter: "CC-1", extra: { environment: "dev", project: "p" } },
      { dataClassification: "restricted", pciScope: "cde", component: "oltp" },
    );
    assert.deepEqual(t, {
      project: "p",
      environment: "prod",
      owner: "team",
      "cost-center": "CC-1",
      "data-classification": "restricted",
      "pci-scope": "cde",
      component: "oltp",
      "managed-by": "pulumi",
    });
  });
});

describe("lib/privateLink", () => {
  it("maps each service to Microsoft's group ids and zones", () => {
    assert.deepEqual(PRIVATE_LINK.sqlServer, { groupIds: ["sqlServer"], zones: ["privatelink.database.windows.net"] });
    assert.deepEqual(PRIVATE_LINK.cosmosSql, { groupIds: ["Sql"], zones: ["privatelink.documents.azure.com"] });
    assert.deepEqual(PRIVATE_LINK.keyVault, { groupIds: ["vault"], zones: ["privatelink.vaultcore.azure.net"] });
    assert.deepEqual(PRIVATE_LINK.synapseSql.zones, ["privatelink.sql.azuresynapse.net"]);
    assert.deepEqual(PRIVATE_LINK.mlWorkspace.zones, ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]);
    assert.deepEqual(PRIVATE_LINK.eventHubs, {
      groupIds: ["namespace"],
      zones: ["privatelink.servicebus.windows.net"],
    });
    assert.deepEqual(PRIVATE_LINK.storageDfs.groupIds, ["dfs"]);
  });
  it("lists each needed zone once and fits the 5-zone limit per group", () => {
    assert.equal(new Set(PRIVATE_DNS_ZONES).size, PRIVATE_DNS_ZONES.length);
    assert.equal(PRIVATE_DNS_ZONES.length, 22);
    for (const s of Object.values(PRIVATE_LINK)) assert.ok(s.zones.length <= MAX_ZONES_PER_GROUP);
  });
  it("takes every zone but the Azure Monitor scope's own from the hub in mode central, by ALZ's id form", () => {
    assert.deepEqual(AZURE_MONITOR_ONLY_ZONES, [
      "privatelink.monitor.azure.com",
      "privatelink.oms.opinsights.azure.com",
      "privatelink.ods.opinsights.azure.com",
      "privatelink.agentsvc.azure-automation.net",
    ]);
    assert.equal(CENTRAL_ZONES.length, 18);
    // Every service but the scope finds each of its zones there (the blob zone, which the scope shares, included).
    for (const [service, s] of Object.entries(PRIVATE_LINK))
      if (service !== "azureMonitor") for (const zone of s.zones) assert.ok(CENTRAL_ZONES.includes(zone), zone);
    const rg = "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/rg-hub-dns-westeurope";
    const ids = centralZoneIds(rg);
    assert.deepEqual(Object.keys(ids), [...CENTRAL_ZONES]);
    assert.equal(
      ids["privatelink.vaultcore.azure.net"],
      `${rg}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`,
    );
    assert.equal(ids["privatelink.monitor.azure.com"], undefined);
  });
});

describe("Serial (operations Azure applies one at a time on a parent)", () => {
  it("hands each new resource `after` and every earlier link as dependsOn (deletes follow direct edges only)", () => {
    const fake = (n: string) => ({ n }) as unknown as pulumi.Resource;
    const after = [fake("container"), fake("endpoint")];
    const chain = new Serial(after);
    assert.deepEqual(chain.tail, after);
    const seen: pulumi.Resource[][] = [];
    const a = chain.next((d) => (seen.push(d), fake("a")));
    const b = chain.next((d) => (seen.push(d), fake("b")));
    const c = chain.next((d) => (seen.push(d), fake("c")));
    // c depends on a and on `after` directly: removing a and c (not b), or the container and c, deletes c first.
    assert.deepEqual(seen, [after, [...after, a], [...after, a, b]]);
    assert.deepEqual(chain.tail, [...after, a, b, c]);
  });
});

describe("lib: zod as the config validators use it", () => {
  it("every module of the program imports zod through lib/zod.ts, which turns its generated parsers off", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const root = path.resolve(__dirname, "..");
    const direct: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== "node_modules") walk(rel);
        else if (/\.ts$/.test(e.name) && rel !== path.join("lib", "zod.ts"))
          if (/from "zod(\/[^"]*)?"|require\("zod(\/[^"]*)?"\)/.test(fs.readFileSync(path.join(root, rel), "utf8")))
            direct.push(rel);
      }
    };
    for (const dir of ["lib", "components", "pipelines", "policies", "tools"]) walk(dir);
    if (/from "zod"/.test(fs.readFileSync(path.join(root, "index.ts"), "utf8"))) direct.push("index.ts");
    assert.deepEqual(direct, []);
    const { z } = require("../lib/zod") as typeof import("../lib/zod");
    assert.equal(z.config().jitless, true);
  });
});
