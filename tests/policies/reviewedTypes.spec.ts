import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { REVIEWED_TYPES } from "../../policies/lib/reviewedTypes";
import {
  REVIEWED_FOREIGN_TYPES,
  REVIEWED_PACKAGES,
  unreviewedProviders,
  unreviewedTypes,
} from "../../policies/rules/general";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import { previewOf } from "../helpers/stacks";
import { expectFail, expectNotApplicable, expectPass } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Every azure-native class the program's sources reference (components/, lib/, index.ts; comments left out), as the
 * type token the class registers: a class referenced but only constructed under some config (central DNS's peering,
 * DDoS protection) counts too, which no preview of today's stacks would show.
 */
function programTypes(): Map<string, string> {
  const files: string[] = [path.join(ROOT, "index.ts")];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  for (const d of ["components", "lib"]) walk(path.join(ROOT, d));
  const found = new Map<string, string>();
  for (const f of files) {
    const src = fs
      .readFileSync(f, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const m of src.matchAll(/import \* as (\w+) from "(@pulumi\/azure-native(?:\/[\w/]+)?)"/g)) {
      const mod = require(require.resolve(m[2], { paths: [ROOT] })) as Record<string, { __pulumiType?: unknown }>;
      for (const r of src.matchAll(new RegExp(`\\b${m[1]}\\.(\\w+)\\b`, "g"))) {
        const token = mod[r[1]]?.__pulumiType;
        if (typeof token === "string") found.set(token, path.relative(ROOT, f));
      }
    }
  }
  return found;
}

describe("policies: reviewed types", () => {
  describe(unreviewedTypes.name, () => {
    it("passes the program's own types, under their versioned tokens too", async () => {
      await expectPass(unreviewedTypes, resourceRecord("azure-native:sql:Server", "sql-pay-prod-weu", {}));
      await expectPass(unreviewedTypes, resourceRecord("azure-native:keyvault/v20260201:Vault", "kv-pay-prod-weu", {}));
    });

    it("fails a service no rule of the pack was written for, naming the type and where to add it", async () => {
      for (const type of [
        "azure-native:servicebus:Namespace",
        "azure-native:redis:Redis",
        "azure-native:dbforpostgresql:Server",
      ]) {
        const r = await expectFail(
          unreviewedTypes,
          resourceRecord(type, "new-tier", { publicNetworkAccess: "Enabled" }, { stack: "prod" }),
          new RegExp(
            `^new-tier \\(${type}\\) is of type ${type}, which the pack has not been reviewed for: .* add it to REVIEWED_TYPES \\(policies/lib/reviewedTypes\\.ts\\)\\.$`,
          ),
        );
        assert.equal(r.enforcementLevel, "mandatory");
      }
    });

    it("passes a type a stack's policy config adds, keeping the pack's own list", async () => {
      const extra = { additionalReviewedTypes: ["azure-native:servicebus:Namespace"] };
      await expectPass(unreviewedTypes, resourceRecord("azure-native:servicebus:Namespace", "sb", {}), extra);
      await expectPass(unreviewedTypes, resourceRecord("azure-native:sql:Server", "sql", {}), extra);
      await expectFail(
        unreviewedTypes,
        resourceRecord("azure-native:redis:Redis", "r", {}),
        /not been reviewed/,
        extra,
      );
    });

    it("is not applicable to other providers' resources", async () => {
      await expectNotApplicable(unreviewedTypes, resourceRecord("azuread:index/group:Group", "g", {}));
      await expectNotApplicable(unreviewedTypes, resourceRecord("random:index/randomString:RandomString", "r", {}));
    });
  });

  describe(unreviewedProviders.name, () => {
    const stackOf = (...types: string[]) =>
      types.map((t, i) => resourceRecord(t, `r${i}`, { location: "eastus" }, { stack: "prod" }));

    it("passes azure-native, the packages that create nothing the pack checks, the engine's own and the components", () =>
      expectPass(
        unreviewedProviders,
        stackOf(
          "pulumi:pulumi:Stack",
          "pulumi:providers:azure-native",
          "payments:platform:Platform",
          "azure-native:storage:StorageAccount",
          "azuread:index/group:Group",
          "azuread:index/groupMember:GroupMember",
          "random:index/randomString:RandomString",
          "time:index/sleep:Sleep",
        ),
      ));

    it("fails a resource of another provider (the classic azure, azapi, command), naming its package", async () => {
      const r = await expectFail(
        unreviewedProviders,
        stackOf("azure-native:storage:StorageAccount", "azure:storage/account:Account"),
        /^r1 \(azure:storage\/account:Account\) comes from the package 'azure', which the pack has not been reviewed for: .* list 'azure' in additionalPackages \(or its type in additionalTypes\)\.$/,
      );
      assert.equal(r.enforcementLevel, "mandatory");
      const three = await evaluatePolicy(
        unreviewedProviders,
        stackOf("azure:storage/account:Account", "azapi:index/resource:Resource", "command:local:Command"),
      );
      assert.equal(three.messages.length, 3);
      // Not azuread as a whole: an application password or a directory role assignment is a credential or a tenant
      // permission no rule checks.
      await expectFail(
        unreviewedProviders,
        stackOf("azuread:index/applicationPassword:ApplicationPassword"),
        /comes from the package 'azuread'.*or its type in additionalTypes/,
      );
      await expectPass(unreviewedProviders, stackOf("azuread:index/applicationPassword:ApplicationPassword"), {
        additionalTypes: ["azuread:index/applicationPassword:ApplicationPassword"],
      });
      // A stack that reviewed a package for itself, and another component package.
      await expectPass(unreviewedProviders, stackOf("azapi:index/resource:Resource", "acme:tier:Tier"), {
        additionalPackages: ["azapi"],
        componentPackages: ["acme"],
      });
    });

    it("is not applicable to a stack without resources", () => expectNotApplicable(unreviewedProviders, []));

    it("passes both committed stacks (every resource the program registers)", async () => {
      for (const stack of ["dev", "prod"] as const) {
        const { resources } = (await previewOf(stack)).run;
        const packages = [...new Set(resources.map((r) => r.type.split(":")[0]))].sort();
        assert.deepEqual(
          packages.filter((p) => ![...REVIEWED_PACKAGES, "pulumi", "payments", "azuread"].includes(p as never)),
          [],
          stack,
        );
        // The program's azuread resources are the reviewed types only.
        assert.deepEqual(
          [...new Set(resources.filter((r) => r.type.startsWith("azuread:")).map((r) => r.type))].filter(
            (t) => !REVIEWED_FOREIGN_TYPES.includes(t as never),
          ),
          [],
          stack,
        );
        await expectPass(unreviewedProviders, resources);
      }
    });
  });

  it("holds every azure-native class the program references, and every type both stacks register", async function () {
    this.timeout(120_000);
    const reviewed = new Set(REVIEWED_TYPES);
    const missing = [...programTypes()].filter(([t]) => !reviewed.has(t)).map(([t, f]) => `${t} (${f})`);
    assert.deepEqual(missing, [], "add each to policies/lib/reviewedTypes.ts once its rules exist");
    for (const stack of ["dev", "prod"] as const) {
      const { resources } = (await previewOf(stack)).run;
      const types = [...new Set(resources.filter((r) => r.type.startsWith("azure-native:")).map((r) => r.type))];
      assert.deepEqual(
        types.filter((t) => !reviewed.has(t)),
        [],
        stack,
      );
    }
    // The scan sees references, not only constructions (a class kept in a table and constructed later).
    assert.ok(programTypes().has("azure-native:web:WebAppFtpAllowed"));
    // Sorted and unique, so a reviewer reads one list.
    assert.deepEqual([...REVIEWED_TYPES], [...new Set(REVIEWED_TYPES)].sort());
  });
});
