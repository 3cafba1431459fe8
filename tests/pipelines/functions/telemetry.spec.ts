import { strict as assert } from "node:assert";
import { BUSINESS_EVENTS, businessEvent } from "../../../pipelines/functions/src/lib/telemetry";

describe("functions: business events", () => {
  it("formats the event name and its fields in the declared order", () => {
    assert.equal(
      businessEvent("payment.accepted", { currencyCode: "EUR", amountMinor: 1250, sqlMs: 12 }),
      "payment.accepted amountMinor=1250 currencyCode=EUR sqlMs=12",
    );
    assert.equal(
      businessEvent("payment.scored", { decision: "decline", model: "azureml" }),
      "payment.scored decision=decline model=azureml",
    );
    assert.deepEqual(Object.keys(BUSINESS_EVENTS), ["payment.accepted", "payment.store", "payment.scored"]);
  });

  it("ends every event of the payment API's write with sqlMs (the OLTP latency alert parses the last field)", () => {
    for (const name of ["payment.accepted", "payment.store"] as const)
      assert.equal(BUSINESS_EVENTS[name].at(-1), "sqlMs");
  });

  it("refuses values the workbook's parse could not split", () => {
    assert.throws(
      () => businessEvent("payment.scored", { decision: "de cline", model: "rules" }),
      /decision 'de cline' must have no spaces/,
    );
  });
});
