/**
 * The audit archive's retention period (`sql.auditRetentionDays`, or `logRetentionDays` while it is 0) against the
 * deployed retention policy (components/oltp/auditArchive.ts `retentionPolicyConflicts`): a locked policy takes only
 * an extension.
 */
import { strict as assert } from "node:assert";
import { retentionPolicyConflicts } from "../components/oltp/auditArchive";
import { refusalOf, runDeployedElsewise } from "./helpers/deployedElsewise";
import { byName, invokesOf, previewOf } from "./helpers/stacks";

const where = { accountName: "staudit", resourceGroupName: "rg" };

describe("the audit archive's retention period against the deployed policy", () => {
  it("asks nothing when the period does not change, or no policy is deployed", () => {
    assert.deepEqual(
      retentionPolicyConflicts({ state: "Locked", immutabilityPeriodSinceCreationInDays: 365 }, 365, "k", where),
      [],
    );
    assert.deepEqual(retentionPolicyConflicts({}, 365, "k", where), []);
  });

  it("refuses a shorter period on a locked policy", () => {
    const [c] = retentionPolicyConflicts(
      { state: "Locked", immutabilityPeriodSinceCreationInDays: 400 },
      365,
      "sql.auditRetentionDays",
      where,
    );
    assert.equal(c.kind, "refused");
    assert.equal(c.key, "sql.auditRetentionDays");
    assert.equal(c.deployed, "400 days");
    assert.equal(c.wanted, "365 days");
    assert.match(c.remedy, /The only action allowed on a Locked policy is ExtendImmutabilityPolicy action/);
    assert.match(c.remedy, /set it back to 400 days or more/);
  });

  it("refuses a longer period on a locked policy too (the PUT is not an extension), with the extend command", () => {
    const [c] = retentionPolicyConflicts(
      { state: "Locked", immutabilityPeriodSinceCreationInDays: 365 },
      400,
      "k",
      where,
    );
    assert.equal(c.kind, "refused");
    assert.match(
      c.remedy,
      /`az storage container immutability-policy extend --account-name staudit --container-name sqldbauditlogs --period 400 --allow-protected-append-writes true --if-match "\$\(az storage container immutability-policy show --account-name staudit --container-name sqldbauditlogs --query etag -o tsv\)"`/,
    );
  });

  it("says nothing of an unlocked policy (Azure takes its update without the ETag) or a container without one", () => {
    for (const wanted of [300, 500])
      assert.deepEqual(
        retentionPolicyConflicts({ state: "Unlocked", immutabilityPeriodSinceCreationInDays: 365 }, wanted, "k", where),
        [],
      );
    assert.deepEqual(
      retentionPolicyConflicts({ state: "Deleted", immutabilityPeriodSinceCreationInDays: 0 }, 90, "k", where),
      [],
    );
  });

  it("dev's program reads the policy by the archive's names before the policy registers (none in a first preview)", async () => {
    const { run, previewRun } = await previewOf("dev");
    const policy = byName(run.resources, "oltp-audit-archive-worm");
    const reads = invokesOf(run, "azure-native:storage:getBlobContainerImmutabilityPolicy");
    assert.deepEqual(
      reads.map((r) => r.inputs),
      [
        {
          resourceGroupName: policy.inputs.resourceGroupName,
          accountName: policy.inputs.accountName,
          containerName: "sqldbauditlogs",
          immutabilityPolicyName: "default",
        },
      ],
    );
    assert.deepEqual(invokesOf(previewRun, "azure-native:storage:getBlobContainerImmutabilityPolicy"), []);
  });

  it("a preview of dev whose archive policy is locked at 120 days refuses the config's 90, naming logRetentionDays", async function () {
    this.timeout(300_000);
    assert.match(
      await refusalOf("dev", "archive-locked"),
      /error serializing property "accountName": the stack config asks for a change Azure refuses on the audit archive's retention policy on '[^']+\/sqldbauditlogs' as the program would send it:\n {2}logRetentionDays \(sql\.auditRetentionDays is 0\): the deployed value is 120 days, the stack config asks for 90 days\. The policy is locked/,
    );
  });

  it("a preview of dev whose archive policy is unlocked goes on, saying nothing of it", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("dev", "archive-unlocked");
    assert.equal(error, undefined);
    assert.deepEqual(
      warned.filter((w) => w.includes("retention policy")),
      [],
    );
  });
});
