import { strict as assert } from "node:assert";
import { corsPolicies, cosmosCors, originProblem, storageCors } from "../../policies/rules/cors";
import { POLICY_NAME } from "../../policies/lib/policy";
import { resourceRecord } from "../../tools/lib/policyRunner";
import { RG_NAME } from "./fixtures/protection";
import { expectFail, expectNotApplicable, expectPass, expectUndecided, otherResource, UNKNOWN } from "./helpers";

const cosmos = (cors?: unknown) =>
  resourceRecord("azure-native:cosmosdb:DatabaseAccount", "nosql-cosmos", {
    resourceGroupName: RG_NAME,
    accountName: "cosno-pay-prod-weu",
    ...(cors === undefined ? {} : { cors }),
  });
const blobService = (type: string, cors?: unknown) =>
  resourceRecord(type, "olap-lake-blob", {
    resourceGroupName: RG_NAME,
    accountName: "stpayprodweulake",
    ...(cors === undefined ? {} : { cors }),
  });
const rule = (allowedOrigins: unknown) => ({
  allowedOrigins,
  allowedMethods: ["GET"],
  allowedHeaders: ["x-ms-*"],
  exposedHeaders: [],
  maxAgeInSeconds: 60,
});

describe("policies/cors", () => {
  it("exports uniquely named policies that follow the name convention", () => {
    const names = corsPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => POLICY_NAME.test(n)));
  });

  it("originProblem: a wildcard anywhere or plain HTTP, not an exact https origin", () => {
    assert.equal(originProblem("https://portal.payments.example.com"), undefined);
    assert.match(originProblem(" * ") ?? "", /any origin \('\*'\)/);
    assert.match(originProblem("https://*.example.com") ?? "", /any origin/);
    assert.match(originProblem("HTTP://ops.example.com") ?? "", /plain-HTTP origin 'HTTP:\/\/ops\.example\.com'/);
    assert.match(originProblem("null") ?? "", /the origin 'null' \(any sandboxed or local page\)/);
  });

  describe(cosmosCors.name, () => {
    it("passes exact https origins (a comma-separated list)", () =>
      expectPass(cosmosCors, cosmos([{ allowedOrigins: "https://a.example.com,https://b.example.com" }])));
    it("fails a wildcard origin (the review's mutation #62), naming the entry", () =>
      expectFail(
        cosmosCors,
        cosmos([{ allowedOrigins: "https://a.example.com, *" }]),
        /nosql-cosmos \(azure-native:cosmosdb:DatabaseAccount\) cors\[0\] allows any origin \('\*'\): list exact https:\/\/ origins in allowedOrigins\./,
      ));
    it("fails a plain-HTTP origin", () =>
      expectFail(cosmosCors, cosmos([{ allowedOrigins: "http://ops.example.com" }]), /plain-HTTP origin/));
    it("cannot decide while the rules are unknown in a first preview", () =>
      expectUndecided(cosmosCors, cosmos([UNKNOWN])));
    it("passes an account without CORS (the program's: no cross-origin call), and is not applicable to other types", async () => {
      await expectPass(cosmosCors, cosmos());
      await expectPass(cosmosCors, cosmos([]));
      await expectNotApplicable(cosmosCors, otherResource());
    });
  });

  describe(storageCors.name, () => {
    const BLOB = "azure-native:storage:BlobServiceProperties";
    it("passes exact https origins", () =>
      expectPass(storageCors, blobService(BLOB, { corsRules: [rule(["https://portal.payments.example.com"])] })));
    it("fails a wildcard origin on the blob, queue or table service", async () => {
      for (const type of [
        BLOB,
        "azure-native:storage:QueueServiceProperties",
        "azure-native:storage:TableServiceProperties",
      ])
        await expectFail(
          storageCors,
          blobService(type, { corsRules: [rule(["https://a.example.com"]), rule(["*"])] }),
          new RegExp(`olap-lake-blob \\(${type}\\) cors\\.corsRules\\[1\\] allows any origin \\('\\*'\\)`),
        );
    });
    it("fails a plain-HTTP origin on the file service", () =>
      expectFail(
        storageCors,
        blobService("azure-native:storage:FileServiceProperties", { corsRules: [rule(["http://ops.example.com"])] }),
        /cors\.corsRules\[0\] allows the plain-HTTP origin 'http:\/\/ops\.example\.com'/,
      ));
    it("cannot decide while an origin is unknown in a first preview", () =>
      expectUndecided(storageCors, blobService(BLOB, { corsRules: [rule([UNKNOWN])] })));
    it("passes a service without CORS rules (the program's), and is not applicable to other types", async () => {
      await expectPass(storageCors, blobService(BLOB));
      await expectPass(storageCors, blobService(BLOB, { corsRules: [] }));
      await expectNotApplicable(storageCors, otherResource());
    });
  });
});
