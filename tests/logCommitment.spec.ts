/**
 * `logAnalyticsCommitmentGbPerDay` against the deployed workspace (components/platform/monitoring.ts
 * `workspaceTierConflicts`): Azure keeps a commitment tier 31 days from its last change, so a lower tier or
 * pay-as-you-go asked for sooner stops the preview, naming the key and the day Azure takes it.
 */
import { strict as assert } from "node:assert";
import { COMMITMENT_PERIOD_DAYS, workspaceTierConflicts } from "../components/platform/monitoring";
import { runDeployedElsewise } from "./helpers/deployedElsewise";

const DAY = 86_400_000;
const now = new Date("2026-12-07T12:00:00Z");
const onTier = (level: number, daysAgo: number | undefined) => ({
  name: "CapacityReservation",
  capacityReservationLevel: level,
  ...(daysAgo === undefined ? {} : { lastSkuUpdate: new Date(now.getTime() - daysAgo * DAY).toUTCString() }),
});

describe("logAnalyticsCommitmentGbPerDay against the deployed workspace", () => {
  it("refuses a lower tier or pay-as-you-go within 31 days of the tier's last change, naming the day Azure takes it", () => {
    assert.equal(COMMITMENT_PERIOD_DAYS, 31);
    const [lower] = workspaceTierConflicts(onTier(200, 10), 100, now);
    assert.equal(lower.kind, "refused");
    assert.equal(lower.key, "logAnalyticsCommitmentGbPerDay");
    assert.equal(lower.deployed, "the 200 GB/day tier, last changed 2026-11-27T12:00:00.000Z");
    assert.equal(lower.wanted, "100 GB/day");
    assert.match(lower.remedy, /lower it after 2026-12-28T12:00:00\.000Z, and keep 200 until then/);
    const [payg] = workspaceTierConflicts(onTier(200, 30), 0, now);
    assert.equal(payg.kind, "refused");
    assert.equal(payg.wanted, "0 (pay-as-you-go)");
    assert.match(payg.remedy, /lower it after 2026-12-08T12:00:00\.000Z/);
    // Azure may spell the sku in lower case, and the date in ISO 8601 (UTC).
    const [spelt] = workspaceTierConflicts(
      { name: "capacityreservation", capacityReservationLevel: 300, lastSkuUpdate: "2026-11-27T12:00:00" },
      100,
      now,
    );
    assert.equal(spelt.kind, "refused");
    assert.equal(spelt.deployed, "the 300 GB/day tier, last changed 2026-11-27T12:00:00.000Z");
    // The period's last day passed, a raise, the same tier, a pay-as-you-go workspace: nothing to refuse.
    assert.deepEqual(workspaceTierConflicts(onTier(200, 31), 0, now), []);
    assert.deepEqual(workspaceTierConflicts(onTier(200, 1), 300, now), []);
    assert.deepEqual(workspaceTierConflicts(onTier(200, 1), 200, now), []);
    assert.deepEqual(workspaceTierConflicts({ name: "PerGB2018" }, 0, now), []);
    // No level given: nothing above the config's to refuse.
    assert.deepEqual(workspaceTierConflicts({ name: "CapacityReservation" }, 0, now), []);
    // A read without the date: a warning, not a refusal.
    const [undated] = workspaceTierConflicts(onTier(500, undefined), 200, now);
    assert.equal(undated.kind, "advised");
    assert.match(undated.remedy, /which the workspace's read did not give \(sku\.lastSkuUpdate\)/);
  });

  it("a preview of dev whose workspace took the 200 GB/day tier 10 days ago stops before the workspace; 40 days ago it goes on", async function () {
    this.timeout(300_000);
    const recent = await runDeployedElsewise("dev", "tier-recent");
    assert.match(
      recent.error ?? "",
      /error serializing property "workspaceName": the stack config asks for a change Azure refuses on the Log Analytics workspace '[^']+' as the program would send it:\n {2}logAnalyticsCommitmentGbPerDay: the deployed value is the 200 GB\/day tier, last changed [^,]+, the stack config asks for 0 \(pay-as-you-go\)\. Azure keeps a commitment tier 31 days/,
    );
    assert.ok(!recent.registered.includes("platform-log"), "the workspace does not register");
    const old = await runDeployedElsewise("dev", "tier-old");
    assert.equal(old.error, undefined);
    assert.deepEqual(
      old.warned.filter((w) => w.includes("logAnalyticsCommitmentGbPerDay")),
      [],
    );
    // A workspace that cannot be read: warned, not refused.
    const unreadable = await runDeployedElsewise("dev", "tier-unreadable");
    assert.equal(unreadable.error, undefined);
    const notRead = unreadable.warned.filter((w) => w.includes("logAnalyticsCommitmentGbPerDay"));
    assert.equal(notRead.length, 1, notRead.join("\n"));
    assert.match(
      notRead[0],
      /^the Log Analytics workspace 'log-pay-dev-weu': its commitment tier could not be read to compare with logAnalyticsCommitmentGbPerDay \(0\) \(.*AuthorizationFailed.*\): Azure refuses a lower tier or pay-as-you-go within 31 days of the tier's last change \(az monitor log-analytics workspace show -g \S+ -n log-pay-dev-weu --query sku\)\.$/,
    );
  });
});
